"""Use cases of a live Space. Each public method is one thing a member, a moderator or the gateway does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import uuid4

from spaces_core.domain import broadcast, captions, extras, recording
from spaces_core.domain.errors import AlreadyLive, Conflict, NotFound
from spaces_core.domain.events import DomainEvent, RejoinRefused
from spaces_core.domain.refs import ChannelRef
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import check_host_eligibility
from spaces_core.domain.space import Space
from spaces_core.ports import Clock, Publish, UnitOfWork, UnitOfWorkFactory
from spaces_core.services._transaction import Change, Load, SpaceChanger, by_id

__all__ = ["SpaceService"]

Events = list[DomainEvent]
DomainCall = Callable[[Space, datetime], Events]
_REMOVED = "You were removed from this Space by the host."
_BLOCKED = "The host has blocked you from their Spaces."


def _new_id() -> str:
    return uuid4().hex


def _in_channel(guild_id: int, channel_id: int) -> Load:
    async def load(uow: UnitOfWork) -> Space | None:
        return await uow.spaces.live_in_channel(guild_id, channel_id, for_update=True)

    return load


def _sync(call: DomainCall) -> Change:
    async def change(space: Space, uow: UnitOfWork, now: datetime) -> Events:
        return call(space, now)

    return change


async def _grace(uow: UnitOfWork, guild_id: int) -> timedelta:
    return timedelta(seconds=(await uow.policies.get(guild_id)).grace_seconds)


async def _refusal(space: Space, uow: UnitOfWork, user_id: int) -> str | None:
    """Why this member may not be in the Stage, if they may not. The original host's blocks still apply
    after a co-host took over: the community expects a block to outlive a dropped connection."""
    if user_id in space.removed:
        return _REMOVED
    if user_id == space.host_id:
        return None
    for host_id in {space.host_id, space.original_host_id}:
        if await uow.blocks.is_blocked(host_id, user_id):
            return _BLOCKED
    return None


class SpaceService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        bus: Publish,
        *,
        id_factory: Callable[[], str] = _new_id,
        ours: Callable[[int], bool] = lambda guild_id: True,
    ) -> None:
        """`ours(guild_id)`: whether this process acts on that guild's Spaces (its shard's; all when unsharded)."""
        self._uow_factory = uow_factory
        self._ours = ours
        self._clock = clock
        self._bus = bus
        self._id_factory = id_factory
        self._changer = SpaceChanger(uow_factory, clock, bus)

    # Starting and ending

    async def start_space(
        self, *, guild_id: int, channel_id: int, actor: Actor, title: str, topics: str | list[str]
    ) -> Space:
        async with self._uow_factory() as uow:
            policy = await uow.policies.get(guild_id)
            followers = await uow.follows.follower_count(actor.user_id)
            check_host_eligibility(policy.hosting_rule, follower_count=followers, actor=actor)
            hosting = await uow.spaces.live_of_host(actor.user_id)
            if hosting is not None:
                raise AlreadyLive(
                    "You're already hosting a live Space in {channel}.", channel=ChannelRef(hosting.channel_id)
                )
            if await uow.spaces.live_in_channel(guild_id, channel_id) is not None:
                raise Conflict("Another Space is already live on this Stage.")
            space, events = Space.open(
                space_id=self._id_factory(),
                guild_id=guild_id,
                channel_id=channel_id,
                host_id=actor.user_id,
                title=title,
                topics=topics,
                now=self._clock.now(),
                speaker_limit=policy.speaker_limit,
            )
            await uow.spaces.add(space)
            await uow.commit()
        await self._bus.publish(space, events)
        return space

    async def end_space(self, space_id: str, actor: Actor) -> Space:
        return await self._act(space_id, lambda space, now: space.end(actor, now, "host_ended"))

    # Reading

    async def get(self, space_id: str) -> Space:
        async with self._uow_factory() as uow:
            space = await by_id(space_id)(uow)
        assert space is not None  # by_id raises NotFound instead of returning None
        return space

    async def live_in_channel(self, guild_id: int, channel_id: int) -> Space | None:
        async with self._uow_factory() as uow:
            return await uow.spaces.live_in_channel(guild_id, channel_id, for_update=True)

    async def live_in_guild(self, guild_id: int) -> list[Space]:
        """Busiest first, then the longest running, as the Live now board shows them."""
        async with self._uow_factory() as uow:
            spaces = await uow.spaces.live_in_guild(guild_id)
        return sorted(spaces, key=lambda s: (-s.listener_count, s.started_at or s.created_at, s.id))

    async def live_of_host(self, host_id: int) -> Space | None:
        async with self._uow_factory() as uow:
            return await uow.spaces.live_of_host(host_id)

    async def all_live(self) -> list[Space]:
        """The live Spaces of this process's guilds (of every guild when unsharded): what its loops resume,
        sample, reconcile and hand over; another process's Spaces are that process's to run."""
        async with self._uow_factory() as uow:
            return [space for space in await uow.spaces.all_live() if self._ours(space.guild_id)]

    # Presence (voice state updates)

    async def member_joined(self, guild_id: int, channel_id: int, user_id: int) -> Space | None:
        async def change(space: Space, uow: UnitOfWork, now: datetime) -> Events:
            reason = await _refusal(space, uow, user_id)
            if reason is not None:
                return [RejoinRefused(space.id, user_id, reason)]
            return space.join(user_id, now)

        return await self._changer.run(_in_channel(guild_id, channel_id), change)

    async def member_left(self, guild_id: int, channel_id: int, user_id: int) -> Space | None:
        async def change(space: Space, uow: UnitOfWork, now: datetime) -> Events:
            return space.leave(user_id, now, grace=await _grace(uow, space.guild_id))

        return await self._changer.run(_in_channel(guild_id, channel_id), change)

    async def reconcile(self, guild_id: int, channel_id: int, present_user_ids: set[int]) -> Space | None:
        """Make the Space match who is really in the Stage (after a restart or a missed gateway event)."""

        async def change(space: Space, uow: UnitOfWork, now: datetime) -> Events:
            grace = await _grace(uow, space.guild_id)
            events: Events = []
            for user_id in sorted(space.present - present_user_ids):
                events += space.leave(user_id, now, grace=grace)
            for user_id in sorted(present_user_ids - space.present):
                reason = await _refusal(space, uow, user_id)
                if reason is None:
                    events += space.join(user_id, now)
                else:
                    events.append(RejoinRefused(space.id, user_id, reason))
            if space.host_id not in present_user_ids:
                events += space.leave(space.host_id, now, grace=grace)  # starts the grace now if not yet
            return events

        return await self._changer.run(_in_channel(guild_id, channel_id), change)

    async def run_due_successions(self) -> list[Space]:
        """Hand every Space whose host stayed away past the server's grace to its co-host (or end it)."""
        async with self._uow_factory() as uow:
            candidates = [
                s for s in await uow.spaces.all_live() if s.host_absent_since is not None and self._ours(s.guild_id)
            ]
            graces = {s.guild_id: await _grace(uow, s.guild_id) for s in candidates}
        now = self._clock.now()
        changed: list[Space] = []
        for candidate in candidates:
            grace = graces[candidate.guild_id]
            if not candidate.due_succession(now, grace):
                continue

            outcome: list[Events] = []

            def succeed(space: Space, now: datetime, grace: timedelta = grace, out: list[Events] = outcome) -> Events:
                # Checked again inside the transaction: the host may have come back meanwhile.
                out[:] = [space.succeed(now) if space.due_succession(now, grace) else []]
                return out[0]

            space = await self._act(candidate.id, succeed)
            if outcome and outcome[0]:
                changed.append(space)
        return changed

    # Asking to speak

    async def request_to_speak(self, space_id: str, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.request_to_speak(user_id))

    async def cancel_request(self, space_id: str, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.cancel_request(user_id))

    async def approve(self, space_id: str, actor: Actor, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.approve_request(actor, user_id))

    async def deny(self, space_id: str, actor: Actor, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.deny_request(actor, user_id))

    async def invite(self, space_id: str, actor: Actor, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.invite(actor, user_id))

    async def accept_invite(self, space_id: str, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.accept_invite(user_id))

    async def decline_invite(self, space_id: str, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.decline_invite(user_id))

    # Moderation

    async def move_to_audience(self, space_id: str, actor: Actor, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.move_to_audience(actor, user_id))

    async def mute(self, space_id: str, actor: Actor, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.mute(actor, user_id))

    async def unmute(self, space_id: str, actor: Actor, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.unmute(actor, user_id))

    async def remove(self, space_id: str, actor: Actor, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.remove(actor, user_id))

    async def block(self, space_id: str, actor: Actor, user_id: int) -> Space:
        """Remove from this Space and add to the host's block list, which keeps them out of later Spaces."""

        async def change(space: Space, uow: UnitOfWork, now: datetime) -> Events:
            events = space.block(actor, user_id)
            await uow.blocks.block(space.host_id, user_id)
            return events

        return await self._must(by_id(space_id), change)

    async def unblock(self, actor: Actor, user_id: int) -> Space | None:
        """Take a member off the actor's own block list; if the actor hosts a live Space, they may rejoin it
        (a block removed them from it). Returns that live Space, if any. Needs no live Space: a host may make
        peace between Spaces."""
        async with self._uow_factory() as uow:
            if not await uow.blocks.is_blocked(actor.user_id, user_id):
                raise NotFound("That member isn't on your block list.")
            await uow.blocks.unblock(actor.user_id, user_id)
            live = await uow.spaces.live_of_host(actor.user_id)
            await uow.commit()
        if live is None:
            return None
        return await self._act(live.id, lambda space, _: space.unblock(actor, user_id))

    async def blocked_by(self, host_id: int) -> list[int]:
        async with self._uow_factory() as uow:
            return await uow.blocks.blocked_by(host_id)

    async def add_cohost(self, space_id: str, actor: Actor, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.add_cohost(actor, user_id))

    async def remove_cohost(self, space_id: str, actor: Actor, user_id: int) -> Space:
        return await self._act(space_id, lambda space, _: space.remove_cohost(actor, user_id))

    # Card extras

    async def react(self, space_id: str, user_id: int, emoji: str) -> Space:
        return await self._act(space_id, lambda space, _: extras.react(space, user_id, emoji))

    async def pin_link(self, space_id: str, actor: Actor, url: str) -> Space:
        return await self._act(space_id, lambda space, _: extras.pin_link(space, actor, url))

    async def unpin_link(self, space_id: str, actor: Actor, url: str | int) -> Space:
        return await self._act(space_id, lambda space, _: extras.unpin_link(space, actor, url))

    async def record_card(self, space_id: str, channel_id: int, message_id: int) -> None:
        async with self._uow_factory() as uow:
            await uow.cards.save_card(space_id, channel_id, message_id)
            await uow.commit()

    async def cards(self, space_id: str) -> list[tuple[int, int]]:
        async with self._uow_factory() as uow:
            return await uow.cards.cards(space_id)

    # Recording

    async def set_recording(self, space_id: str, actor: Actor, on: bool) -> Space:
        return await self._act(space_id, lambda space, _: recording.set_recording(space, actor, on))

    async def set_recording_opt_out(self, space_id: str, user_id: int, out: bool) -> Space:
        return await self._act(space_id, lambda space, _: recording.set_opt_out(space, user_id, out))

    async def set_captions(self, space_id: str, actor: Actor, on: bool) -> Space:
        return await self._act(space_id, lambda space, _: captions.set_captions(space, actor, on))

    async def set_broadcast(self, space_id: str, actor: Actor, on: bool) -> Space:
        return await self._act(space_id, lambda space, _: broadcast.set_broadcast(space, actor, on))

    async def latest_replay(self, guild_id: int, channel_id: int) -> Space:
        """The last Space recorded on this Stage, once it has ended and while its replay is kept."""
        async with self._uow_factory() as uow:
            space = await uow.spaces.latest_recorded_in_channel(guild_id, channel_id)
        if space is None or not recording.has_replay(space):
            raise NotFound("There is no replay of a Space on this Stage.")
        return space

    async def delete_replay(self, space_id: str, actor: Actor) -> Space:
        """The replay and the Space's transcript go together, in one transaction: the transcript is kept no
        longer than the recording it sits beside (by the host's hand, by the retention, or by /privacy)."""

        async def change(space: Space, uow: UnitOfWork, now: datetime) -> Events:
            events = recording.delete_replay(space, actor)
            await uow.transcripts.delete_space(space.id)
            return events

        return await self._must(by_id(space_id), change)

    # Helpers

    async def _act(self, space_id: str, call: DomainCall) -> Space:
        return await self._must(by_id(space_id), _sync(call))

    async def _must(self, load: Load, change: Change) -> Space:
        space = await self._changer.run(load, change)
        if space is None:  # pragma: no cover - by_id raises NotFound rather than returning None
            raise NotFound("That Space doesn't exist any more.")
        return space
