"""Acting on the domain's events in Discord: the Stage, the cards, notices and DMs.

The services commit first and then hand the events here, so Discord only ever shows committed state. One
failing Discord call (a member who left, a refused permission) is logged and does not stop the other effects.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.audio.rooms import AudioRooms
from bot.audio.server_audio import ServerAudio
from bot.audio.stage import StageAdapter
from bot.dms import DmSender
from bot.spaces.cards import CardUpdater, LiveBoard
from bot.spaces.views import invite_view
from spaces_core.domain import events as ev
from spaces_core.domain.space import Space

__all__ = ["DiscordPublisher"]

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
Handler = Callable[[Space, Any], Awaitable[None]]


class DiscordPublisher:
    def __init__(
        self,
        client: discord.Client,
        stage: StageAdapter,
        cards: CardUpdater,
        board: LiveBoard,
        dms: DmSender,
        *,
        record_card: Callable[[str, int, int], Awaitable[None]],
        feed_channel: Callable[[int], Awaitable[int | None]],
        followers_to_notify: Callable[[int], Awaitable[list[int]]],
        audio: AudioRooms | None = None,
        server_audio: ServerAudio | None = None,
    ) -> None:
        self._client, self._stage, self._cards, self._board, self._dms = client, stage, cards, board, dms
        self._record_card = record_card
        self._feed_channel = feed_channel
        self._followers = followers_to_notify
        self._audio = audio
        self._server_audio = server_audio  # which Space has the server's one voice connection (with `audio`)
        self._handlers: dict[type, Handler] = {
            ev.SpaceStarted: self._started,
            ev.MemberJoined: self._joined,
            ev.SpeakerAdded: lambda s, e: self._stage.make_speaker(s, e.user_id),
            ev.CohostAdded: lambda s, e: self._stage.make_speaker(s, e.user_id),
            ev.MovedToAudience: lambda s, e: self._stage.make_listener(s, e.user_id),
            ev.MemberMuted: lambda s, e: self._stage.set_muted(s, e.user_id, True),
            ev.MemberUnmuted: lambda s, e: self._stage.set_muted(s, e.user_id, False),
            ev.MemberRemoved: lambda s, e: self._stage.disconnect(s, e.user_id),
            ev.RejoinRefused: self._refused,
            ev.SpeakerInvited: self._invited,
            ev.HostLeft: self._host_left,
            ev.HostReturned: self._host_returned,
            ev.HostChanged: self._host_changed,
            ev.SpaceEnded: self._ended,
            ev.RecordingStarted: self._recording_started,
            ev.RecordingStopped: self._recording_stopped,
            ev.RecordingOptOut: self._recording_opt_out,
            ev.ReplayDeleted: self._replay_deleted,
        }

    async def publish(self, space: Space, events: Sequence[ev.DomainEvent]) -> None:
        if self._audio is not None:
            # First, and before any Discord call: a member moved to the audience or muted leaves the mix
            # at the next 20 ms frame, not after the Stage edits' round trips.
            self._audio.update(space)
        for event in events:
            handler = self._handlers.get(type(event))
            if handler is not None:
                try:
                    await handler(space, event)
                except discord.HTTPException as exc:
                    log.warning("%s for Space %s: Discord said %s", type(event).__name__, space.id, exc)
                    if isinstance(event, ev.SpaceStarted):
                        raise  # the member who started it must hear why the Stage did not open
        # An ended Space's card is its summary, made final by `_ended`: whatever came with the end (the recording
        # stopping) or after it (the replay deleted) must not bring back a live card with working buttons.
        if space.is_live:
            self._cards.mark(space)
        self._board.mark(space.guild_id)

    async def _notice(self, space: Space, text: str) -> None:
        await self._client.get_partial_messageable(space.channel_id).send(text, allowed_mentions=NO_MENTIONS)

    async def _started(self, space: Space, event: ev.SpaceStarted) -> None:
        await self._stage.open(space)
        targets = [space.channel_id]
        feed = await self._feed_channel(space.guild_id)
        if feed is not None and feed != space.channel_id:
            targets.append(feed)
        for channel_id in targets:
            message_id = await self._cards.post(space, channel_id)
            await self._record_card(space.id, channel_id, message_id)
        followers = await self._followers(space.host_id)
        link = f"https://discord.com/channels/{space.guild_id}/{space.channel_id}"
        text = f"🔴 <@{space.host_id}> is live: **{space.title}** — join the Stage: {link}"
        self._dms.send_many(followers, text)
        if self._server_audio is not None:
            await self._server_audio.started(space)

    async def _joined(self, space: Space, event: ev.MemberJoined) -> None:
        await self._stage.on_join(space, event.user_id)

    async def _refused(self, space: Space, event: ev.RejoinRefused) -> None:
        await self._stage.disconnect(space, event.user_id)
        self._dms.send_many([event.user_id], f"You can't join **{space.title}**: {event.reason}")

    async def _invited(self, space: Space, event: ev.SpeakerInvited) -> None:
        await self._client.get_partial_messageable(space.channel_id).send(
            f"<@{event.user_id}>, the host invites you to speak in **{space.title}**. Accept?",
            view=invite_view(space, event.user_id),
            allowed_mentions=discord.AllowedMentions(users=[discord.Object(event.user_id)]),
        )

    async def _host_left(self, space: Space, event: ev.HostLeft) -> None:
        await self._stage.keep_alive(space)
        when = f"<t:{int(event.grace_ends_at.timestamp())}:R>"
        successor = f"<@{space.cohosts[0]}> takes over" if space.cohosts else "the Space ends"
        await self._notice(space, f"The host left the Stage. If they are not back {when}, {successor}.")

    async def _host_returned(self, space: Space, event: ev.HostReturned) -> None:
        await self._stage.make_speaker(space, event.user_id)
        await self._stage.release(space)
        await self._notice(space, f"<@{event.user_id}> is back — the Space goes on.")

    async def _host_changed(self, space: Space, event: ev.HostChanged) -> None:
        await self._stage.make_speaker(space, event.new_host_id)
        await self._stage.release(space)
        await self._notice(space, f"<@{event.new_host_id}> is now the host of **{space.title}**.")

    async def _recording_started(self, space: Space, event: ev.RecordingStarted) -> None:
        if self._audio is not None:
            await self._audio.follow_recording(space)
        await self._notice(
            space,
            f"● <@{event.by_id}> started recording **{space.title}**. Speakers who'd rather not be in the replay: "
            "`/space record optout`.",
        )

    async def _recording_stopped(self, space: Space, event: ev.RecordingStopped) -> None:
        if event.by_id is not None:  # at the end the card's summary says it; no separate notice
            await self._notice(space, f"<@{event.by_id}> stopped recording **{space.title}**.")

    async def _recording_opt_out(self, space: Space, event: ev.RecordingOptOut) -> None:
        left = "is left out of" if event.opted_out else "is back in"
        await self._notice(space, f"<@{event.user_id}>'s voice {left} the recording.")

    async def _replay_deleted(self, space: Space, event: ev.ReplayDeleted) -> None:
        if self._audio is not None and self._audio.replays is not None:
            self._audio.replays.delete(space.id)

    async def _ended(self, space: Space, event: ev.SpaceEnded) -> None:
        await self._cards.finish(space, event.summary)
        try:
            await self._stage.close(space)
        finally:  # a refused Stage call must not keep the recording open or the next Space without audio
            if self._server_audio is not None:
                await self._server_audio.ended(space)
