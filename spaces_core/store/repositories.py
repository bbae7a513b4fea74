"""SQL implementations of the repository ports. Each takes the unit of work's session as a keyword."""

from __future__ import annotations

from typing import cast

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from spaces_core.domain.errors import ConcurrentUpdate, Conflict
from spaces_core.domain.refs import MemberRef
from spaces_core.domain.rules import GuildPolicy, MemberPrefs
from spaces_core.domain.space import Space, SpaceState
from spaces_core.store.mappers import policy_from_row, policy_values, prefs_from_row, space_from_row, space_values
from spaces_core.store.tables import CardRow, FollowRow, GuildPolicyRow, HostBlockRow, MemberPrefsRow, SpaceRow

__all__ = [
    "SqlBlockRepository",
    "SqlCardRepository",
    "SqlFollowRepository",
    "SqlPolicyRepository",
    "SqlPrefsRepository",
    "SqlSpaceRepository",
]

_LIVE = SpaceState.LIVE.value


class SqlSpaceRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def add(self, space: Space) -> None:
        self._session.add(SpaceRow(**space_values(space), version=space.version))
        try:
            await self._session.flush()
        except IntegrityError as exc:  # the partial unique index: one live Space per Stage
            raise Conflict("Another Space went live on this Stage at the same moment.") from exc

    async def get(self, space_id: str, *, for_update: bool = False) -> Space | None:
        found = await self._many(col(SpaceRow.id) == space_id, for_update=for_update)
        return found[0] if found else None

    async def live_in_channel(self, guild_id: int, channel_id: int, *, for_update: bool = False) -> Space | None:
        found = await self._many(
            col(SpaceRow.state) == _LIVE,
            col(SpaceRow.guild_id) == guild_id,
            col(SpaceRow.channel_id) == channel_id,
            for_update=for_update,
        )
        return found[0] if found else None

    async def live_of_host(self, host_id: int) -> Space | None:
        found = await self._many(col(SpaceRow.state) == _LIVE, col(SpaceRow.host_id) == host_id)
        return found[0] if found else None

    async def live_in_guild(self, guild_id: int) -> list[Space]:
        return await self._many(col(SpaceRow.state) == _LIVE, col(SpaceRow.guild_id) == guild_id)

    async def all_live(self) -> list[Space]:
        return await self._many(col(SpaceRow.state) == _LIVE)

    async def latest_recorded_in_channel(self, guild_id: int, channel_id: int) -> Space | None:
        found = await self._many(
            col(SpaceRow.recorded).is_(True), col(SpaceRow.guild_id) == guild_id, col(SpaceRow.channel_id) == channel_id
        )
        return found[-1] if found else None

    async def latest_in_channel(self, guild_id: int, channel_id: int) -> Space | None:
        statement = (
            select(SpaceRow)
            .where(col(SpaceRow.guild_id) == guild_id, col(SpaceRow.channel_id) == channel_id)
            .order_by(col(SpaceRow.created_at).desc(), col(SpaceRow.id).desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        row = (await self._session.execute(statement)).scalars().first()
        return space_from_row(row) if row is not None else None

    async def save(self, space: Space) -> None:
        """Compare-and-set on the version: a writer who read an older version changes nothing and is told."""
        statement = (
            update(SpaceRow)
            .where(col(SpaceRow.id) == space.id, col(SpaceRow.version) == space.version)
            .values(**space_values(space), version=space.version + 1)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[tuple[()]], await self._session.execute(statement))
        if result.rowcount != 1:
            raise ConcurrentUpdate("Someone else changed this Space at the same moment; try again.")
        space.version += 1

    async def _many(self, *conditions: object, for_update: bool = False) -> list[Space]:
        statement = (
            select(SpaceRow)
            .where(*conditions)  # type: ignore[arg-type]
            .order_by(col(SpaceRow.created_at), col(SpaceRow.id))
            .execution_options(populate_existing=True)
        )
        if for_update:
            # PostgreSQL: a row lock, so concurrent writers queue (twenty hands raised at once on a loaded
            # machine outran the optimistic retries). SQLite has no FOR UPDATE; its writers are serialized anyway.
            statement = statement.with_for_update()
        rows = (await self._session.execute(statement)).scalars().all()
        return [space_from_row(row) for row in rows]


class SqlFollowRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def add(self, follower_id: int, host_id: int) -> None:
        self._session.add(FollowRow(follower_id=follower_id, host_id=host_id))
        try:
            await self._session.flush()
        except IntegrityError as exc:
            raise Conflict("You already follow {host}.", host=MemberRef(host_id)) from exc

    async def remove(self, follower_id: int, host_id: int) -> bool:
        statement = delete(FollowRow).where(
            col(FollowRow.follower_id) == follower_id, col(FollowRow.host_id) == host_id
        )
        result = cast(CursorResult[tuple[()]], await self._session.execute(statement))
        return result.rowcount > 0

    async def exists(self, follower_id: int, host_id: int) -> bool:
        statement = select(exists().where(col(FollowRow.follower_id) == follower_id, col(FollowRow.host_id) == host_id))
        return bool((await self._session.execute(statement)).scalar())

    async def following(self, follower_id: int) -> list[int]:
        statement = select(col(FollowRow.host_id)).where(col(FollowRow.follower_id) == follower_id).order_by("host_id")
        return list((await self._session.execute(statement)).scalars().all())

    async def followers(self, host_id: int) -> list[int]:
        statement = select(col(FollowRow.follower_id)).where(col(FollowRow.host_id) == host_id).order_by("follower_id")
        return list((await self._session.execute(statement)).scalars().all())

    async def follower_count(self, host_id: int) -> int:
        statement = select(func.count()).select_from(FollowRow).where(col(FollowRow.host_id) == host_id)
        return int((await self._session.execute(statement)).scalar_one())

    async def followers_to_notify(self, host_id: int) -> list[int]:
        # No prefs row means the defaults, and the default is to be told (following is the opt-in).
        statement = (
            select(col(FollowRow.follower_id))
            .outerjoin(MemberPrefsRow, col(MemberPrefsRow.user_id) == col(FollowRow.follower_id))
            .where(col(FollowRow.host_id) == host_id)
            .where(or_(col(MemberPrefsRow.live_dms).is_(None), col(MemberPrefsRow.live_dms).is_(True)))
            .order_by(col(FollowRow.follower_id))
        )
        return list((await self._session.execute(statement)).scalars().all())

    async def delete_member(self, user_id: int) -> None:
        await self._session.execute(
            delete(FollowRow).where(or_(col(FollowRow.follower_id) == user_id, col(FollowRow.host_id) == user_id))
        )


class SqlPolicyRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def get(self, guild_id: int) -> GuildPolicy:
        row = await self._session.get(GuildPolicyRow, guild_id)
        return policy_from_row(row) if row is not None else GuildPolicy(guild_id=guild_id)

    async def save(self, policy: GuildPolicy) -> None:
        await self._session.merge(GuildPolicyRow(**policy_values(policy)))
        await self._session.flush()


class SqlPrefsRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> MemberPrefs:
        row = await self._session.get(MemberPrefsRow, user_id)
        return prefs_from_row(row) if row is not None else MemberPrefs(user_id=user_id)

    async def save(self, prefs: MemberPrefs) -> None:
        await self._session.merge(
            MemberPrefsRow(user_id=prefs.user_id, live_dms=prefs.live_dms, timezone=prefs.timezone)
        )
        await self._session.flush()

    async def delete(self, user_id: int) -> None:
        await self._session.execute(delete(MemberPrefsRow).where(col(MemberPrefsRow.user_id) == user_id))


class SqlBlockRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def block(self, host_id: int, user_id: int) -> None:
        if not await self.is_blocked(host_id, user_id):
            self._session.add(HostBlockRow(host_id=host_id, user_id=user_id))
            await self._session.flush()

    async def is_blocked(self, host_id: int, user_id: int) -> bool:
        return await self._session.get(HostBlockRow, (host_id, user_id)) is not None

    async def unblock(self, host_id: int, user_id: int) -> None:
        await self._session.execute(
            delete(HostBlockRow).where(col(HostBlockRow.host_id) == host_id, col(HostBlockRow.user_id) == user_id)
        )

    async def blocked_by(self, host_id: int) -> list[int]:
        rows = await self._session.execute(
            select(col(HostBlockRow.user_id))
            .where(col(HostBlockRow.host_id) == host_id)
            .order_by(col(HostBlockRow.user_id))
        )
        return [int(user_id) for user_id in rows.scalars()]

    async def delete_by_host(self, host_id: int) -> None:
        await self._session.execute(delete(HostBlockRow).where(col(HostBlockRow.host_id) == host_id))


class SqlCardRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def save_card(self, space_id: str, channel_id: int, message_id: int) -> None:
        # One card per Space and channel: a re-posted card replaces the reference to the old message.
        await self._session.merge(CardRow(space_id=space_id, channel_id=channel_id, message_id=message_id))
        await self._session.flush()

    async def cards(self, space_id: str) -> list[tuple[int, int]]:
        statement = (
            select(col(CardRow.channel_id), col(CardRow.message_id))
            .where(col(CardRow.space_id) == space_id)
            .order_by(col(CardRow.channel_id))
        )
        return [(int(c), int(m)) for c, m in (await self._session.execute(statement)).all()]
