"""Who may connect to a ticketed Space's Stage: a per-Space role, the Stage's Connect overwrites, and the doorman.

- The role (`🎟 <title> · <id prefix>`, no permissions) is given to each holder when paid and taken back on refund.
  The host, the co-hosts and the bot itself get it too when the doors close, so one role overwrite lets in
  everyone who must be there (no per-member overwrites to track and undo).
- When the Space goes live the Stage gets `@everyone` deny Connect, and allow Connect for the role and for the
  moderator roles (the server's moderator role and every role with Mute Members or Manage Server, the same
  people `bot.actors` treats as moderators). Order matters: the role's allow and the bot's own role come first,
  or the bot would deny itself Connect and Discord would then refuse it the remaining overwrites.
- When the Space ends or is cancelled, Connect goes back to what it was in each overwrite the doors changed (an
  admin's private Stage, whose `@everyone` already denied Connect, stays private) and the role is deleted. What
  it was is recorded in the database before the doors close (`StageAccessMemory`), so it holds after a restart,
  when the Stage itself shows only the doors' own values.
- A co-host added while it is live is let in at once (`let_in`: the role), not at the next reconciliation. The
  host and everyone made co-host ("insiders") keep the role until the Space ends, whatever happens to their own
  ticket and even once they are no longer co-host: a co-host who drops loses the co-host role (the Space's rule
  for everyone who leaves), and the host, who vouched for them, expects them to be able to come back. Insiders are
  remembered by this process; after a restart only the live Space's current host and co-hosts are known.
- `reconcile` redoes all of it from the database at start-up, so gating holds across restarts. What it read may be
  a moment old when a Space ends meanwhile: it and the end take turns per Stage, and an ended Space stays ended.
- A non-holder who still stands on the Stage (there before the doors closed, or let in by an admin's own
  overwrite) is moved out and told how to buy.

Discord calls fail one by one (a member who left, a role deleted by an admin): each is logged and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

import discord

from bot.dms import DmSender
from bot.members import member_of
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.services.stage_access import StageAccessMemory

__all__ = ["ROLE_PREFIX", "TicketGate", "role_name"]

log = logging.getLogger(__name__)
ROLE_PREFIX = "🎟 "
_ROLE_NAME = re.compile(rf"^{ROLE_PREFIX}.* · (?P<sid>[0-9a-f]{{8}})$")
Holders = Callable[[str], Awaitable[list[int]]]
ModeratorRole = Callable[[int], Awaitable[int | None]]


def role_name(schedule: ScheduledSpace) -> str:
    """Members see it on their profile, so it is the title; the id prefix tells two Spaces of one title apart."""
    return f"{ROLE_PREFIX}{schedule.title[:60]} · {schedule.id[:8]}"


def _schedule_prefix(role: discord.Role) -> str | None:
    match = _ROLE_NAME.match(role.name)
    return match["sid"] if match else None


class TicketGate:
    def __init__(
        self,
        client: discord.Client,
        dms: DmSender,
        *,
        holders: Holders,
        moderator_role: ModeratorRole,
        memory: StageAccessMemory,
    ) -> None:
        self._client = client
        self._memory = memory  # each Stage's Connect values from before its doors closed
        self._dms = dms
        self._holders = holders
        self._moderator_role = moderator_role
        self._gated: dict[int, ScheduledSpace] = {}  # Stage channel id -> the ticketed Space live on it
        # Schedule id -> the host and everyone made co-host while it was live: let in without needing a ticket.
        self._insiders: dict[str, set[int]] = {}
        # Two payments settling at once must not make two roles: creation is serialised per Space, and a role just
        # made is remembered until the gateway's GUILD_ROLE_CREATE has put it in discord.py's cache.
        self._creating: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._made: dict[str, discord.Role] = {}
        # The end (`open_doors`) and a reconciliation (its leftover pass, or the doors closed again for a Space it
        # read as live a moment before the end) can work on one Stage at once: they take turns per Stage, a Space
        # this process ended (by id prefix, as its role names it) is never gated again, and doors already opened
        # are not opened again (the record of Connect before the doors closed is gone by then, so a second opening
        # would set `@everyone` back to "inherit" and open an admin's private Stage). A few bytes per ended Space.
        self._doors: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._over: set[str] = set()
        self._opened: set[tuple[str, int]] = set()  # (id prefix, Stage id) whose doors were opened

    # -- the role -------------------------------------------------------------------------------------------

    def _guild(self, schedule: ScheduledSpace) -> discord.Guild | None:
        return self._client.get_guild(schedule.guild_id)

    def find_role(self, schedule: ScheduledSpace) -> discord.Role | None:
        guild = self._guild(schedule)
        if guild is None:
            return None
        cached = next((r for r in guild.roles if _schedule_prefix(r) == schedule.id[:8]), None)
        return cached or self._made.get(schedule.id)

    async def _role(self, schedule: ScheduledSpace) -> discord.Role | None:
        if schedule.id[:8] in self._over:  # ended or cancelled: its role is (being) deleted, never made again
            return None
        async with self._creating[schedule.id]:
            role = self.find_role(schedule)
            guild = self._guild(schedule)
            if role is not None or guild is None:
                return role
            role = await guild.create_role(
                name=role_name(schedule),
                permissions=discord.Permissions.none(),
                mentionable=False,
                reason=f"Ticket holders of Space {schedule.id}",
            )
            self._made[schedule.id] = role
            return role

    def _forget(self, schedule_id: str) -> None:
        self._made.pop(schedule_id, None)
        self._creating.pop(schedule_id, None)

    async def grant(self, schedule: ScheduledSpace, user_id: int) -> bool:
        """Give the member the Space's role (creating it on the first sale). False when Discord refused."""
        guild = self._guild(schedule)
        try:
            role = await self._role(schedule)
            member = await member_of(guild, user_id) if guild is not None else None
            if role is None or member is None:
                return False
            if role not in member.roles:
                await member.add_roles(role, reason=f"Ticket for Space {schedule.id}")
            return True
        except discord.NotFound as exc:  # the role was deleted by someone: made again at the next grant
            self._forget(schedule.id)
            log.warning("ticket role for %s in Space %s not given: %s", user_id, schedule.id, exc)
            return False
        except discord.HTTPException as exc:
            log.warning("ticket role for %s in Space %s not given: %s", user_id, schedule.id, exc)
            return False

    async def revoke(self, schedule: ScheduledSpace, user_id: int) -> None:
        guild, role = self._guild(schedule), self.find_role(schedule)
        if guild is None or role is None or user_id in self._insiders.get(schedule.id, ()):
            return
        try:
            member = await member_of(guild, user_id)
            if member is not None and role in member.roles:
                await member.remove_roles(role, reason=f"Ticket for Space {schedule.id} refunded")
            if member is not None and self.is_gated(schedule) and self._stands_on(member, schedule):
                await member.move_to(None, reason="Ticket refunded")
        except discord.HTTPException as exc:
            log.warning("ticket role of %s in Space %s not taken back: %s", user_id, schedule.id, exc)

    # -- the doors ------------------------------------------------------------------------------------------

    def is_gated(self, schedule: ScheduledSpace) -> bool:
        gated = self._gated.get(schedule.channel_id)
        return gated is not None and gated.id == schedule.id

    def gated_on(self, channel_id: int) -> ScheduledSpace | None:
        return self._gated.get(channel_id)

    def gated_in(self, guild_id: int) -> list[ScheduledSpace]:
        """The ticketed Spaces live in a server now (as they were when their doors closed)."""
        return [schedule for schedule in self._gated.values() if schedule.guild_id == guild_id]

    def _stage(self, schedule: ScheduledSpace) -> discord.StageChannel | discord.VoiceChannel | None:
        channel = self._client.get_channel(schedule.channel_id)
        return channel if isinstance(channel, discord.StageChannel | discord.VoiceChannel) else None

    @staticmethod
    def _stands_on(member: discord.Member, schedule: ScheduledSpace) -> bool:
        return (
            member.voice is not None
            and member.voice.channel is not None
            and (member.voice.channel.id == schedule.channel_id)
        )

    async def _moderator_roles(self, guild: discord.Guild) -> list[discord.Role]:
        configured = await self._moderator_role(guild.id)
        return [
            role
            for role in guild.roles
            if not role.is_default()
            and (role.id == configured or role.permissions.mute_members or role.permissions.manage_guild)
        ]

    async def let_in(self, schedule: ScheduledSpace, user_id: int) -> bool:
        """A co-host added while the Space is live: the role at once, kept until it ends, ticket or not."""
        self._insiders.setdefault(schedule.id, set()).add(user_id)
        return await self.grant(schedule, user_id)

    async def close_doors(self, schedule: ScheduledSpace, insiders: Iterable[int]) -> None:
        """Only the role (holders, and `insiders`: host, co-hosts) and moderators may connect from now on."""
        stage, guild = self._stage(schedule), self._guild(schedule)
        if stage is None or guild is None:
            log.warning("ticketed Space %s: its Stage %s is gone", schedule.id, schedule.channel_id)
            return
        role = await self._role(schedule)
        if role is None:  # also when the Space is over: a reconciliation that read it live just before its end
            return
        # Added to, not replaced: a co-host let in while these insiders were being read stays in.
        inside = self._insiders.setdefault(schedule.id, set())
        inside.update(insiders)
        for user_id in {*inside, guild.me.id}:
            await self.grant(schedule, user_id)
        async with self._doors[stage.id]:
            if schedule.id[:8] in self._over:
                return
            moderator_roles = await self._moderator_roles(guild)
            await self._remember_connect(stage, role, [*moderator_roles, guild.default_role])
            await stage.set_permissions(role, connect=True, reason=f"Ticket holders of Space {schedule.id}")
            for moderators in moderator_roles:
                await self._set_connect(stage, moderators, True)
            await self._set_connect(stage, guild.default_role, False)
            self._gated[stage.id] = schedule
            self._opened.discard((schedule.id[:8], stage.id))  # a leftover pass that read it as over was wrong
        await self.turn_away_strangers(schedule)

    async def _remember_connect(
        self, stage: discord.StageChannel | discord.VoiceChannel, role: discord.Role, targets: list[discord.Role]
    ) -> None:
        """Connect as the admins left it, for `_unlock`. Not when the doors are closed already (the Space's role has
        its overwrite: a reconciliation, or a restart mid-Space): what the Stage shows then is the doors' own, and
        the record made when they closed holds."""
        if role in stage.overwrites:
            return
        try:
            await self._memory.remember(
                stage.id, {target.id: stage.overwrites_for(target).connect for target in targets}
            )
        except Exception:  # the doors must close all the same; at the end Connect goes back to "inherit"
            log.exception("Stage %s: Connect before the doors closed not recorded", stage.id)

    async def open_doors(self, schedule: ScheduledSpace) -> None:
        """Remove the overwrites (everyone back to the channel's usual rights) and delete the Space's role."""
        prefix = schedule.id[:8]
        self._over.add(prefix)  # before any await: a reconciliation under way must not close the doors again
        self._gated.pop(schedule.channel_id, None)
        stage, guild = self._stage(schedule), self._guild(schedule)
        try:
            async with self._doors[schedule.channel_id]:
                role = self.find_role(schedule)  # read in turn: the leftover pass may have just deleted it
                if stage is not None and guild is not None and (prefix, stage.id) not in self._opened:
                    await self._unlock(stage, guild, role)
                self._opened.add((prefix, schedule.channel_id))
                if role is not None:
                    await self._delete_role(role, f"Space {schedule.id} is over")
        except discord.HTTPException as exc:
            log.warning("doors of Space %s not fully opened: %s", schedule.id, exc)
        finally:
            self._forget(schedule.id)
            self._insiders.pop(schedule.id, None)

    @staticmethod
    async def _delete_role(role: discord.Role, reason: str) -> None:
        try:
            await role.delete(reason=reason)
        except discord.NotFound:  # deleted already (by the end or a reconciliation, or by an admin): it is gone
            log.info("ticket role %r was already deleted", role.name)

    async def _unlock(
        self, stage: discord.StageChannel | discord.VoiceChannel, guild: discord.Guild, role: discord.Role | None
    ) -> None:
        """@everyone first, so nobody is locked out for a moment while the allows are taken away."""
        try:
            before = await self._memory.recall(stage.id) or {}
        except Exception:  # the doors must open all the same: to "inherit", as with no record
            log.exception("Stage %s: Connect before the doors closed not read back", stage.id)
            before = {}
        await self._set_connect(stage, guild.default_role, before.get(guild.default_role.id))
        for moderators in await self._moderator_roles(guild):
            await self._set_connect(stage, moderators, before.get(moderators.id))
        if role is not None:
            with contextlib.suppress(discord.NotFound):  # the role is gone, and its overwrite with it
                await stage.set_permissions(role, overwrite=None, reason="Ticketed Space is over")
        try:
            await self._memory.forget(stage.id)
        except Exception:  # left behind, it is replaced when this Stage's doors next close
            log.exception("Stage %s: record of Connect before the doors closed not removed", stage.id)

    @staticmethod
    async def _set_connect(
        stage: discord.StageChannel | discord.VoiceChannel, target: discord.Role, value: bool | None
    ) -> None:
        """Change only Connect in the target's overwrite, keeping whatever else an admin set there."""
        overwrite = stage.overwrites_for(target)
        if overwrite.connect is value:
            return
        overwrite.update(connect=value)
        await stage.set_permissions(target, overwrite=None if overwrite.is_empty() else overwrite)

    # -- the doorman ----------------------------------------------------------------------------------------

    async def may_stay(self, member: discord.Member, schedule: ScheduledSpace) -> bool:
        if member.bot or member.guild_permissions.administrator or member.guild_permissions.manage_guild:
            return True
        role = self.find_role(schedule)
        if role is not None and role in member.roles:
            return True
        configured = await self._moderator_role(member.guild.id)
        return member.guild_permissions.mute_members or any(r.id == configured for r in member.roles)

    async def turn_away(self, member: discord.Member, schedule: ScheduledSpace) -> bool:
        """Move a member without a ticket off the gated Stage and DM them how to get one. True if moved."""
        if await self.may_stay(member, schedule) or not self._stands_on(member, schedule):
            return False
        try:
            await member.move_to(None, reason=f"No ticket for Space {schedule.id}")
        except discord.HTTPException as exc:
            log.warning("could not move %s off ticketed Space %s: %s", member.id, schedule.id, exc)
            return False
        self._dms.send_many([member.id], turned_away_text(schedule))
        return True

    async def turn_away_strangers(self, schedule: ScheduledSpace) -> int:
        stage = self._stage(schedule)
        if stage is None:
            return 0
        moved = 0
        for member in list(stage.members):
            moved += await self.turn_away(member, schedule)
        return moved

    # -- after a restart ------------------------------------------------------------------------------------

    async def reconcile(
        self, live: Iterable[tuple[ScheduledSpace, list[int]]], upcoming: Iterable[ScheduledSpace]
    ) -> None:
        """`live`: each ticketed Space live now with its host and co-hosts; `upcoming`: those not live yet.
        Holders get their role back (or lose one they should not have), live Stages are gated again, and doors and
        roles left by Spaces that ended while the bot was away are removed."""
        live, upcoming = list(live), list(upcoming)
        for schedule in upcoming:
            await self._sync_role(schedule, set())
        for schedule, insiders in live:
            if schedule.id[:8] in self._over:  # read live just before it ended: its end opened the doors
                continue
            inside = self._insiders.setdefault(schedule.id, set())
            inside.update(insiders)
            await self._sync_role(schedule, set(inside))
            await self.close_doors(schedule, inside)
        live_channels = {schedule.channel_id for schedule, _ in live}
        prefixes = {schedule.id[:8] for schedule in [*upcoming, *(s for s, _ in live)]}
        for guild in self._client.guilds:
            for role in list(guild.roles):
                prefix = _schedule_prefix(role)
                if prefix is not None and prefix not in prefixes:
                    await self._remove_leftover(guild, role, live_channels)

    async def _sync_role(self, schedule: ScheduledSpace, insiders: set[int]) -> None:
        holders = set(await self._holders(schedule.id))
        role = self.find_role(schedule)
        for user_id in holders - {m.id for m in (role.members if role is not None else [])}:
            await self.grant(schedule, user_id)  # creates the role only when someone is missing it
        role = self.find_role(schedule)
        me = self._client.user.id if self._client.user is not None else 0
        for member in list(role.members if role is not None else []):
            if member.id not in holders | insiders | {me}:
                await self.revoke(schedule, member.id)

    async def _remove_leftover(self, guild: discord.Guild, role: discord.Role, live_channels: set[int]) -> None:
        """The role of a Space that is over (read from the database): its end may be opening the doors right now,
        so each Stage is unlocked in turn with it, and not again once it has."""
        prefix = _schedule_prefix(role) or ""
        log.info("removing the leftover ticket role %r and its overwrites", role.name)
        try:
            for channel in guild.channels:
                if not isinstance(channel, discord.StageChannel | discord.VoiceChannel) or channel.id in live_channels:
                    continue
                async with self._doors[channel.id]:
                    if (prefix, channel.id) not in self._opened and role in channel.overwrites:
                        await self._unlock(channel, guild, role)
                        self._opened.add((prefix, channel.id))
            await self._delete_role(role, "Ticketed Space is over")
        except discord.HTTPException as exc:
            log.warning("leftover ticket role %r not removed: %s", role.name, exc)


def turned_away_text(schedule: ScheduledSpace) -> str:
    link = f"https://discord.com/channels/{schedule.guild_id}/{schedule.channel_id}"
    return (
        f"🎟️ **{schedule.title}** is for ticket holders only, so I moved you off the Stage. "
        f"Buy a ticket with the **Buy ticket** button on its card (or `/space upcoming`), then join again: {link}"
    )
