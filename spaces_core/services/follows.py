"""Following hosts: the opt-in to "X is live" DMs."""

from __future__ import annotations

from spaces_core.domain.errors import Conflict, NotFound
from spaces_core.domain.follows import validate_follow
from spaces_core.domain.refs import MemberRef
from spaces_core.ports import UnitOfWorkFactory

__all__ = ["FollowService"]


class FollowService:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def follow(self, follower_id: int, host_id: int) -> None:
        validate_follow(follower_id, host_id)
        async with self._uow_factory() as uow:
            if await uow.follows.exists(follower_id, host_id):
                raise Conflict("You already follow {host}.", host=MemberRef(host_id))
            await uow.follows.add(follower_id, host_id)
            await uow.commit()

    async def unfollow(self, follower_id: int, host_id: int) -> None:
        async with self._uow_factory() as uow:
            if not await uow.follows.remove(follower_id, host_id):
                raise NotFound("You don't follow {host}.", host=MemberRef(host_id))
            await uow.commit()

    async def following(self, user_id: int) -> list[int]:
        async with self._uow_factory() as uow:
            return await uow.follows.following(user_id)

    async def follower_count(self, host_id: int) -> int:
        async with self._uow_factory() as uow:
            return await uow.follows.follower_count(host_id)

    async def followers_to_notify(self, host_id: int) -> list[int]:
        async with self._uow_factory() as uow:
            return await uow.follows.followers_to_notify(host_id)
