"""One voice connection per server: a second Space never takes the first one's audio, and is told why it has none.

Two Spaces on two Stages of the same server; the bot receives the first one's speakers (its web listeners and
recording go on), the second one's host, `/space share` and `/space record` say why they have no audio, and the
second gets the audio when the first ends. On a server without Community (voice channels, whose audio Discord
encrypts end to end) the same commands say the features are unavailable.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from demo.world import World, open_world
from sandbox.speech import encode_opus, tone
from tests.e2e.conftest import eventually, live_space, start_space
from tests.e2e.test_audio_receive import capture, dominant_hz, room_of
from tests.e2e.test_recording import record

SECOND = "Late Night Beats"


async def open_second(world: World, host: str = "cole") -> tuple[int, Any]:
    """A second Stage, and a Space started on it by ``host`` standing there; the channel and the start reply."""
    stage = world.server.add_stage_channel(world.guild_id, "Second Stage")
    await world.server.wait_for(lambda: world.bot.bot.get_channel(stage) is not None)
    await world.server.join_voice(world.guild_id, world[host], stage)
    started = await world.slash(stage, world[host], "space start", title=SECOND)
    assert "live" in (started.content or ""), started.content
    return stage, started


async def space_on(world: World, channel_id: int) -> Any:
    return await world.bot.bot.app.spaces.live_in_channel(world.guild_id, channel_id)


def bot_channel(world: World) -> int | None:
    state = world.server.voice_state(world.guild_id, world.bot.bot.user.id)
    return int(state["channel_id"]) if state is not None else None


async def heard(world: World, room: Any, speaker: str, hz: int) -> float:
    """The loudest frequency the room's mix (what its web listeners and recorder get) carries while one talks."""
    talk = asyncio.create_task(world.server.speak(world.guild_id, world[speaker], encode_opus(tone(hz, 2.0))))
    await asyncio.sleep(0.4)  # the jitter buffer fills first
    mix = await capture(room.hub, 1.0)
    await talk
    return dominant_hz(mix)


def said_why(text: str | None) -> bool:
    return "Another Space (**Friday AMA**" in (text or "") and "until it ends" in (text or "")


async def test_a_second_space_leaves_the_first_its_audio_and_says_why_it_has_none(world: World) -> None:
    await start_space(world)
    room = await room_of(world)
    first = await live_space(world)
    on = await record(world, "hana", "on")
    assert "Recording is on" in on.content, on.content

    stage, started = await open_second(world)
    second = await space_on(world, stage)
    assert bot_channel(world) == world.stage_id, "the bot left the first Space's Stage"
    assert abs(await heard(world, room, "hana", 440) - 440) < 5, "the first Space's speaker is no longer heard"
    assert room.recording is not None and room.recording.active
    assert world.bot.bot.app.audio.get(second.id) is None
    assert said_why(started.content), started.content
    assert "listening in a browser, recording and live captions are off" in started.content

    web = world.bot.bot.app.web
    shared = await world.slash(stage, world["lee"], "space share")
    assert said_why(shared.content) and web.listen_url(second) not in shared.content, shared.content
    shared_first = await world.slash(world.stage_id, world["lee"], "space share")
    assert web.listen_url(first) in shared_first.content, shared_first.content
    refused = await world.slash(stage, world["cole"], "space record", mode="on")
    assert refused.ephemeral and said_why(refused.content), refused.content
    assert "Recording is on" not in refused.content
    assert not (await space_on(world, stage)).recording  # nothing changed


async def test_when_the_first_space_ends_the_second_gets_the_audio_and_its_host_is_told(world: World) -> None:
    await start_space(world)
    await room_of(world)
    stage, _ = await open_second(world)
    second = await space_on(world, stage)
    audio = world.bot.bot.app.audio

    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: audio.get(second.id) is not None and bot_channel(world) == stage, timeout=10)
    await eventually(lambda: world.server.voice.session_for(world.guild_id, world.bot.bot.user.id).client_address)
    told = [m for m in world.server.messages(stage) if "now has the server's audio" in (m.get("content") or "")]
    assert len(told) == 1 and f"<@{world['cole']}>" in told[0]["content"], told
    assert "**Friday AMA** has ended" in told[0]["content"]

    assert abs(await heard(world, audio.get(second.id), "cole", 1000) - 1000) < 5
    shared = await world.slash(stage, world["lee"], "space share")
    assert world.bot.bot.app.web.listen_url(second) in shared.content, shared.content
    on = await world.slash(stage, world["cole"], "space record", mode="on")
    assert "Recording is on" in on.content, on.content


async def test_a_restart_keeps_the_audio_with_the_same_space(world: World) -> None:
    await start_space(world)
    await room_of(world)
    first = await live_space(world)
    stage, _ = await open_second(world)
    second = await space_on(world, stage)

    await world.stop_bot()
    await world.start_bot()
    # The new process rejoins the first Space's Stage; until its voice connection is up, the old process's
    # voice session (still known to the server) would satisfy `room_of` on its own.
    await eventually(lambda: bot_channel(world) == world.stage_id)
    room = await room_of(world)
    assert room.space.id == first.id
    assert world.bot.bot.app.audio.get(second.id) is None
    assert abs(await heard(world, room, "hana", 440) - 440) < 5
    shared = await world.slash(stage, world["lee"], "space share")
    assert said_why(shared.content), shared.content


async def test_on_a_server_without_community_the_audio_features_say_they_are_unavailable(tmp_path: Path) -> None:
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db", community=False)
    try:
        await world.start_bot(recordings_dir=str(tmp_path / "recordings"))
        await world.server.join_voice(world.guild_id, world["hana"], world.voice_id)
        started = await world.slash(world.voice_id, world["hana"], "space start", title="Jam")
        assert "live" in started.content and "encrypts end to end" in started.content, started.content
        space = await world.bot.bot.app.spaces.live_in_channel(world.guild_id, world.voice_id)

        shared = await world.slash(world.voice_id, world["cole"], "space share")
        assert "unavailable" in shared.content, shared.content
        assert world.bot.bot.app.web.listen_url(space) not in shared.content
        refused = await world.slash(world.voice_id, world["hana"], "space record", mode="on")
        assert "Recording can't start" in refused.content and "unavailable" in refused.content, refused.content
        assert not (await world.bot.bot.app.spaces.get(space.id)).recording
        refused = await world.slash(world.voice_id, world["hana"], "space captions", mode="on")
        assert "Captions can't start" in refused.content and "encrypts end to end" in refused.content, refused.content
        assert not (await world.bot.bot.app.spaces.get(space.id)).captions
        # Nothing to receive there: the bot does not sit in the voice channel for nothing.
        assert world.server.voice_state(world.guild_id, world.bot.bot.user.id) is None
        assert world.bot.bot.app.audio.get(space.id) is None
    finally:
        await world.close()


async def test_the_second_space_ending_first_leaves_the_audio_where_it_is(world: World) -> None:
    await start_space(world)
    room = await room_of(world)
    stage, _ = await open_second(world)
    ended = await world.slash(stage, world["cole"], "space end")
    assert "has ended" in (ended.content or ""), ended.content
    assert world.bot.bot.app.audio.get(room.space.id) is room and bot_channel(world) == world.stage_id
    assert abs(await heard(world, room, "hana", 440) - 440) < 5
    assert not any("server's audio" in (m.get("content") or "") for m in world.server.messages(world.stage_id))


async def test_two_closes_of_one_stage_at_once_leave_it_without_waiting_out_the_voice_timeout(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # A Space ended while the bot is still joining its Stage (right after a restart) is closed twice at once: by
    # its end, and by the seating that finds it ended. discord.py's second disconnect of one voice client waits
    # its whole timeout for a confirmation the first one already had, and `/space end` waited with it.
    await start_space(world)
    space = await space_on(world, world.stage_id)
    caplog.set_level(logging.DEBUG, logger="discord.voice_state")
    stage = world.bot.bot.app.stage
    await asyncio.gather(stage.close(space), stage.close(space))
    await eventually(lambda: bot_channel(world) is None)
    assert "Timed out waiting for voice disconnection confirmation" not in caplog.text
