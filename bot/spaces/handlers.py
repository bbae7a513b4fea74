"""A live Space's events, rendered in Discord: the Stage, the cards, notices and DMs, and the audio that follows.

`register` subscribes them on the one message bus (`spaces_core.bus`), which the services hand committed events
to, so Discord only ever shows committed state. One failing Discord call (a member who left, a refused
permission) is logged by the bus and stops no other handler; only the Stage opening is one the caller hears.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import discord

from bot.audio.rooms import AudioRooms
from bot.audio.server_audio import ServerAudio
from bot.audio.stage import StageAdapter
from bot.dms import DmSender
from bot.spaces.cards import CardUpdater, LiveBoard
from bot.spaces.views import invite_view
from spaces_core.bus import MessageBus
from spaces_core.domain import events as ev
from spaces_core.domain.space import Space

__all__ = ["register"]

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()


def register(
    bus: MessageBus,
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
    """The mix first (before any Discord round trip), then each event's effects, then the cards once a batch."""
    if audio is not None:
        _register_audio(bus, audio, server_audio)
    opening = _Opening(client, stage, cards, dms, record_card, feed_channel, followers_to_notify, server_audio)
    # Its error reaches `/space start`: the member who started the Space must hear why the Stage did not open.
    bus.subscribe(ev.SpaceStarted, opening.started, name="Stage opens, cards, follower DMs", propagate=True)
    _register_stage(bus, stage)
    _register_notices(bus, client, stage, dms)
    _register_end(bus, stage, cards, server_audio)
    bus.each_batch(Space, _Marking(cards, board).mark, name="cards and live board")


def _register_audio(bus: MessageBus, audio: AudioRooms, server_audio: ServerAudio | None) -> None:
    async def mix(space: Space, events: Sequence[object]) -> None:
        # A member moved to the audience or muted leaves the mix at the next 20 ms frame, not after the Stage
        # edits' round trips.
        audio.update(space)

    async def follow_recording(space: Space, event: ev.RecordingStarted) -> None:
        await audio.follow_recording(space)

    async def delete_replay(space: Space, event: ev.ReplayDeleted) -> None:
        if audio.replays is not None:
            audio.replays.delete(space.id)

    bus.each_batch(Space, mix, first=True, name="audio mix follows who may speak")
    bus.subscribe(ev.RecordingStarted, follow_recording, name="recorder follows the Space")
    bus.subscribe(ev.ReplayDeleted, delete_replay, name="replay files deleted")


def _register_stage(bus: MessageBus, stage: StageAdapter) -> None:
    async def joined(space: Space, event: ev.MemberJoined) -> None:
        await stage.on_join(space, event.user_id)

    async def speaker(space: Space, event: ev.SpeakerAdded | ev.CohostAdded) -> None:
        await stage.make_speaker(space, event.user_id)

    async def listener(space: Space, event: ev.MovedToAudience) -> None:
        await stage.make_listener(space, event.user_id)

    async def muted(space: Space, event: ev.MemberMuted) -> None:
        await stage.set_muted(space, event.user_id, True)

    async def unmuted(space: Space, event: ev.MemberUnmuted) -> None:
        await stage.set_muted(space, event.user_id, False)

    async def removed(space: Space, event: ev.MemberRemoved) -> None:
        await stage.disconnect(space, event.user_id)

    bus.subscribe(ev.MemberJoined, joined, name="Stage: a member joined")
    bus.subscribe(ev.SpeakerAdded, speaker, name="Stage: speaker")
    bus.subscribe(ev.CohostAdded, speaker, name="Stage: co-host speaks")
    bus.subscribe(ev.MovedToAudience, listener, name="Stage: to the audience")
    bus.subscribe(ev.MemberMuted, muted, name="Stage: muted")
    bus.subscribe(ev.MemberUnmuted, unmuted, name="Stage: unmuted")
    bus.subscribe(ev.MemberRemoved, removed, name="Stage: removed")


class _Opening:
    def __init__(
        self,
        client: discord.Client,
        stage: StageAdapter,
        cards: CardUpdater,
        dms: DmSender,
        record_card: Callable[[str, int, int], Awaitable[None]],
        feed_channel: Callable[[int], Awaitable[int | None]],
        followers_to_notify: Callable[[int], Awaitable[list[int]]],
        server_audio: ServerAudio | None,
    ) -> None:
        self._client, self._stage, self._cards, self._dms = client, stage, cards, dms
        self._record_card, self._feed_channel, self._followers = record_card, feed_channel, followers_to_notify
        self._server_audio = server_audio

    async def started(self, space: Space, event: ev.SpaceStarted) -> None:
        """One handler, in this order: no card, DM or audio for a Space whose Stage did not open (it is ended)."""
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


def _register_notices(bus: MessageBus, client: discord.Client, stage: StageAdapter, dms: DmSender) -> None:
    async def notice(space: Space, text: str) -> None:
        await client.get_partial_messageable(space.channel_id).send(text, allowed_mentions=NO_MENTIONS)

    async def refused(space: Space, event: ev.RejoinRefused) -> None:
        await stage.disconnect(space, event.user_id)
        dms.send_many([event.user_id], f"You can't join **{space.title}**: {event.reason}")

    async def invited(space: Space, event: ev.SpeakerInvited) -> None:
        await client.get_partial_messageable(space.channel_id).send(
            f"<@{event.user_id}>, the host invites you to speak in **{space.title}**. Accept?",
            view=invite_view(space, event.user_id),
            allowed_mentions=discord.AllowedMentions(users=[discord.Object(event.user_id)]),
        )

    async def host_left(space: Space, event: ev.HostLeft) -> None:
        await stage.keep_alive(space)
        when = f"<t:{int(event.grace_ends_at.timestamp())}:R>"
        successor = f"<@{space.cohosts[0]}> takes over" if space.cohosts else "the Space ends"
        await notice(space, f"The host left the Stage. If they are not back {when}, {successor}.")

    async def host_returned(space: Space, event: ev.HostReturned) -> None:
        await stage.make_speaker(space, event.user_id)
        await stage.release(space)
        await notice(space, f"<@{event.user_id}> is back — the Space goes on.")

    async def host_changed(space: Space, event: ev.HostChanged) -> None:
        await stage.make_speaker(space, event.new_host_id)
        await stage.release(space)
        await notice(space, f"<@{event.new_host_id}> is now the host of **{space.title}**.")

    bus.subscribe(ev.RejoinRefused, refused, name="refused member disconnected and told")
    bus.subscribe(ev.SpeakerInvited, invited, name="speaker invitation")
    bus.subscribe(ev.HostLeft, host_left, name="host left: Stage kept, notice")
    bus.subscribe(ev.HostReturned, host_returned, name="host returned: notice")
    bus.subscribe(ev.HostChanged, host_changed, name="new host: notice")
    _register_recording_notices(bus, notice)


def _register_recording_notices(bus: MessageBus, notice: Callable[[Space, str], Awaitable[None]]) -> None:
    async def started(space: Space, event: ev.RecordingStarted) -> None:
        await notice(
            space,
            f"● <@{event.by_id}> started recording **{space.title}**. Speakers who'd rather not be in the replay: "
            "`/space record optout`.",
        )

    async def stopped(space: Space, event: ev.RecordingStopped) -> None:
        if event.by_id is not None:  # at the end the card's summary says it; no separate notice
            await notice(space, f"<@{event.by_id}> stopped recording **{space.title}**.")

    async def opt_out(space: Space, event: ev.RecordingOptOut) -> None:
        left = "is left out of" if event.opted_out else "is back in"
        await notice(space, f"<@{event.user_id}>'s voice {left} the recording.")

    bus.subscribe(ev.RecordingStarted, started, name="recording started: notice")
    bus.subscribe(ev.RecordingStopped, stopped, name="recording stopped: notice")
    bus.subscribe(ev.RecordingOptOut, opt_out, name="recording opt-out: notice")


def _register_end(bus: MessageBus, stage: StageAdapter, cards: CardUpdater, server_audio: ServerAudio | None) -> None:
    async def summary(space: Space, event: ev.SpaceEnded) -> None:
        await cards.finish(space, event.summary)

    async def close(space: Space, event: ev.SpaceEnded) -> None:
        await stage.close(space)

    bus.subscribe(ev.SpaceEnded, summary, name="card becomes the summary")
    bus.subscribe(ev.SpaceEnded, close, name="Stage closes")
    if server_audio is not None:
        # A handler of its own: a refused Stage call must not keep the recording open or the next Space without
        # audio.
        bus.subscribe(ev.SpaceEnded, _audio_ended(server_audio), name="server audio to the next Space")


def _audio_ended(server_audio: ServerAudio) -> Callable[[Space, ev.SpaceEnded], Awaitable[None]]:
    async def hand_audio_on(space: Space, event: ev.SpaceEnded) -> None:
        await server_audio.ended(space)

    return hand_audio_on


class _Marking:
    def __init__(self, cards: CardUpdater, board: LiveBoard) -> None:
        self._cards, self._board = cards, board

    async def mark(self, space: Space, events: Sequence[object]) -> None:
        # An ended Space's card is its summary, made final when it ended: whatever came with the end (the recording
        # stopping) or after it (the replay deleted) must not bring back a live card with working buttons.
        if space.is_live:
            self._cards.mark(space)
        self._board.mark(space.guild_id)
