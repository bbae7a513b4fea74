"""Audio workers: more Spaces of one server heard at once, each on its own bot account's voice connection.

The local server holds the bot and two worker accounts (their own applications and tokens), all members of the
server. Three Spaces on three Stages each get a connection (the bot's, then the workers' in order) and each mix
carries its own speaker only; a fourth is told no connection is free; a Space ending hands its worker on.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from demo.world import World, open_world
from sandbox import BotAccount
from sandbox.permissions import CONNECT, VIEW_CHANNEL
from sandbox.speech import encode_opus, speech, tone
from tests.e2e.conftest import configure, eventually, start_space
from tests.e2e.test_audio_receive import (
    audio_has_flowed,
    capture,
    dominant_hz,
    level_at,
    played_so_far,
    speech_score,
    still_playing,
)
from tests.e2e.test_web_listen import WebListener
from tests.missing import ESPEAK

WORKER_PERMISSIONS = VIEW_CHANNEL | CONNECT  # what the invite link asks for


async def open_workers(world: World, count: int, *, join: bool = True) -> list[BotAccount]:
    accounts = [world.server.add_bot(name=f"Spaces Audio {i}") for i in range(1, count + 1)]
    if join:
        for account in accounts:
            world.server.add_bot_to_guild(world.guild_id, account, permissions=WORKER_PERMISSIONS)
    return accounts


@pytest.fixture
async def workers_world(tmp_path: Path) -> AsyncIterator[tuple[World, list[BotAccount]]]:
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        accounts = await open_workers(w, 2)
        tokens = tuple(a.token for a in accounts)
        await w.start_bot(recordings_dir=str(tmp_path / "recordings"), audio_worker_tokens=tokens)
        await configure(w, feed_channel=w.feed_id, grace_seconds=1)
        await eventually(lambda: len(w.bot.bot.app.server_audio.workers.free_in(w.guild_id, ())) == 2, timeout=10)
        yield w, accounts
    finally:
        await w.close()


async def open_stage(world: World, host: str, name: str, title: str) -> tuple[int, Any]:
    """A new Stage with ``host`` standing on it, and the reply to their `/space start` there."""
    stage = world.server.add_stage_channel(world.guild_id, name)
    await world.server.wait_for(lambda: world.bot.bot.get_channel(stage) is not None)
    await world.server.join_voice(world.guild_id, world[host], stage)
    started = await world.slash(stage, world[host], "space start", title=title)
    assert "live" in (started.content or ""), started.content
    return stage, started


async def space_on(world: World, channel_id: int) -> Any:
    return await world.bot.bot.app.spaces.live_in_channel(world.guild_id, channel_id)


async def received(world: World, channel_id: int, user_id: int) -> Any:
    """The room of the Space on this Stage once ``user_id``'s connection there is up (its voice state on the Stage
    and its UDP address known to the server, so audio reaches it)."""
    space = await space_on(world, channel_id)
    audio = world.bot.bot.app.audio

    def up() -> bool:
        state = world.server.voice_state(world.guild_id, user_id)
        session = world.server.voice.session_for(world.guild_id, user_id)
        on_stage = state is not None and int(state["channel_id"]) == channel_id
        return audio.get(space.id) is not None and on_stage and session is not None and session.client_address
        # (the session's address: IP discovery done)

    await eventually(up, timeout=15)
    return audio.get(space.id)


async def mixes_while_all_speak(world: World, rooms: list[Any], speakers: list[tuple[str, int]]) -> list[np.ndarray]:
    """What each room's mix (its web listeners' and recorder's audio) carries while every speaker talks at once."""
    talks = [
        asyncio.create_task(world.server.speak(world.guild_id, world[name], encode_opus(tone(hz, 2.0))))
        for name, hz in speakers
    ]
    await asyncio.sleep(0.4)  # the jitter buffers fill first
    mixes = await asyncio.gather(*(capture(room.hub, 1.0) for room in rooms))
    await asyncio.gather(*talks)
    return list(mixes)


async def told(world: World, stage: int) -> list[str]:
    """The bot's "now has the server's audio" notices in a Stage's chat, once there is one (it follows the join)."""

    def notices() -> list[str]:
        found = (m.get("content") or "" for m in world.server.messages(stage))
        return [text for text in found if "now has the server's audio" in text]

    await eventually(notices)
    return notices()


def only(mix: np.ndarray, hz: int, others: list[int]) -> bool:
    return abs(dominant_hz(mix) - hz) < 5 and all(level_at(mix, other) < 0.05 for other in others)


async def test_three_spaces_each_hear_their_own_speaker_and_a_fourth_is_told_no_connection_is_free(
    workers_world: tuple[World, list[BotAccount]],
) -> None:
    world, (first_worker, second_worker) = workers_world
    me = world.bot.bot.user.id
    await start_space(world)
    main_room = await received(world, world.stage_id, me)
    stage2, started2 = await open_stage(world, "cole", "Second Stage", "Late Night Beats")
    room2 = await received(world, stage2, first_worker.user_id)
    stage3, started3 = await open_stage(world, "lee", "Third Stage", "Lo-fi Hour")
    room3 = await received(world, stage3, second_worker.user_id)
    assert "off for this Space" not in started2.content and "off for this Space" not in started3.content
    assert [main_room.connection, room2.connection, room3.connection] == [
        0,
        first_worker.user_id,
        second_worker.user_id,
    ]

    # The workers sit in the audience, self-muted: never speakers. The bot stays on the first Space's Stage.
    for worker, stage in ((first_worker, stage2), (second_worker, stage3)):
        state = world.server.voice_state(world.guild_id, worker.user_id)
        assert state is not None and int(state["channel_id"]) == stage
        assert state["suppress"] and state["self_mute"] and not state["self_deaf"]
    assert int(world.server.voice_state(world.guild_id, me)["channel_id"]) == world.stage_id

    speakers = [("hana", 440), ("cole", 1000), ("lee", 700)]
    mixes = await mixes_while_all_speak(world, [main_room, room2, room3], speakers)
    for mix, (name, hz) in zip(mixes, speakers, strict=True):
        others = [other for _, other in speakers if other != hz]
        assert only(mix, hz, others), f"{name}'s Space: heard {dominant_hz(mix)} Hz"

    # A web listener of a worker's Space, through the link `/space share` gives, hears that Space's speaker only.
    shared = await world.slash(stage3, world["sam"], "space share")
    url = world.bot.bot.app.web.listen_url(room3.space)
    assert url in shared.content, shared.content
    listener = WebListener()
    try:
        await listener.connect(f"{url}/offer")
        await eventually(lambda: listener.pc.connectionState == "connected", timeout=20)  # ICE is slow under load
        talks = [
            asyncio.create_task(world.server.speak(world.guild_id, world[name], encode_opus(tone(hz, 3.0))))
            for name, hz in speakers
        ]
        await listener.hear(0.5)  # connection set-up and the jitter buffers filling
        heard = await listener.hear(1.0)
        await asyncio.gather(*talks)
    finally:
        await listener.pc.close()
    assert only(heard, 700, [440, 1000]), f"the web listener heard {dominant_hz(heard)} Hz"

    stage4, started4 = await open_stage(world, "maya", "Fourth Stage", "Drum Talk")
    fourth = await space_on(world, stage4)
    assert "No free voice connection" in started4.content, started4.content
    assert "**Friday AMA**" in started4.content and "**Lo-fi Hour**" in started4.content
    assert "until one of them ends" in started4.content
    assert "oauth2/authorize" not in started4.content  # both workers are members: nothing to invite
    assert world.bot.bot.app.audio.get(fourth.id) is None
    shared = await world.slash(stage4, world["sam"], "space share")
    assert "No free voice connection" in shared.content, shared.content

    # The second Space ends: its worker leaves that Stage and takes the fourth Space, whose host is told.
    await world.slash(stage2, world["cole"], "space end")
    room4 = await received(world, stage4, first_worker.user_id)
    notices = await told(world, stage4)
    assert len(notices) == 1 and f"<@{world['maya']}>" in notices[0], notices
    assert "**Late Night Beats** has ended" in notices[0]
    speakers = [("hana", 440), ("maya", 1200), ("lee", 700)]
    mixes = await mixes_while_all_speak(world, [main_room, room4, room3], speakers)
    for mix, (name, hz) in zip(mixes, speakers, strict=True):
        assert only(mix, hz, [o for _, o in speakers if o != hz]), f"{name}'s Space: heard {dominant_hz(mix)} Hz"
    on = await world.slash(stage4, world["maya"], "space record", mode="on")
    assert "Recording is on" in on.content, on.content


async def test_a_restart_gives_every_space_a_connection_again(workers_world: tuple[World, list[BotAccount]]) -> None:
    world, workers = workers_world
    await start_space(world)
    await received(world, world.stage_id, world.bot.bot.user.id)
    stage2, _ = await open_stage(world, "cole", "Second Stage", "Late Night Beats")
    await received(world, stage2, workers[0].user_id)
    stage3, _ = await open_stage(world, "lee", "Third Stage", "Lo-fi Hour")
    await received(world, stage3, workers[1].user_id)

    await world.stop_bot()
    await world.start_bot()
    me = world.bot.bot.user.id
    main_room = await received(world, world.stage_id, me)
    assert main_room.space.title == "Friday AMA"  # the bot's own connection goes back to the same Space
    rooms = []
    for stage in (stage2, stage3):
        space = await space_on(world, stage)
        await eventually(lambda s=space: world.bot.bot.app.audio.get(s.id) is not None, timeout=15)
        room = world.bot.bot.app.audio.get(space.id)
        rooms.append(await received(world, stage, room.connection))
    assert {room.connection for room in rooms} == {w.user_id for w in workers}
    speakers = [("hana", 440), ("cole", 1000), ("lee", 700)]
    mixes = await mixes_while_all_speak(world, [main_room, *rooms], speakers)
    for mix, (name, hz) in zip(mixes, speakers, strict=True):
        assert only(mix, hz, [o for _, o in speakers if o != hz]), f"{name}'s Space: heard {dominant_hz(mix)} Hz"


async def test_a_worker_not_in_the_server_is_offered_by_its_invite_and_seats_a_space_once_added(
    tmp_path: Path,
) -> None:
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        (worker,) = await open_workers(world, 1, join=False)
        await world.start_bot(recordings_dir=str(tmp_path / "recordings"), audio_worker_tokens=(worker.token,))
        pool = world.bot.bot.app.server_audio.workers
        await eventually(lambda: pool.workers[0].client.is_ready(), timeout=10)
        await start_space(world)
        await received(world, world.stage_id, world.bot.bot.user.id)
        stage2, started = await open_stage(world, "cole", "Second Stage", "Late Night Beats")
        assert "Another Space (**Friday AMA**" in started.content, started.content
        assert f"client_id={worker.application_id}" in started.content and "permissions=1049600" in started.content
        second = await space_on(world, stage2)
        assert world.bot.bot.app.audio.get(second.id) is None

        world.server.add_bot_to_guild(world.guild_id, worker, permissions=WORKER_PERMISSIONS)
        room = await received(world, stage2, worker.user_id)
        assert room.space.id == second.id
        notices = await told(world, stage2)
        assert len(notices) == 1 and "an audio worker was added to this server" in notices[0], notices
        assert abs(dominant_hz((await mixes_while_all_speak(world, [room], [("cole", 1000)]))[0]) - 1000) < 5
    finally:
        await world.close()


async def test_a_worker_token_discord_refuses_leaves_the_bot_running_without_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        await world.start_bot(recordings_dir=str(tmp_path / "recordings"), audio_worker_tokens=("not-a-token",))
        await eventually(lambda: "audio worker 1 of AUDIO_WORKER_TOKENS: Discord refused its token" in caplog.text)
        started = await start_space(world)
        assert "live" in started.content, started.content  # type: ignore[attr-defined]
        await received(world, world.stage_id, world.bot.bot.user.id)
    finally:
        await world.close()


async def test_a_worker_taken_off_its_stage_rejoins_and_one_removed_from_the_server_leaves_its_space_told(
    tmp_path: Path,
) -> None:
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        (worker,) = await open_workers(world, 1)
        await world.start_bot(recordings_dir=str(tmp_path / "recordings"), audio_worker_tokens=(worker.token,))
        pool = world.bot.bot.app.server_audio.workers
        await eventually(lambda: len(pool.free_in(world.guild_id, ())) == 1, timeout=10)
        await start_space(world)
        await received(world, world.stage_id, world.bot.bot.user.id)
        stage2, _ = await open_stage(world, "cole", "Second Stage", "Late Night Beats")
        first_room = await received(world, stage2, worker.user_id)

        # A moderator disconnects the worker from the Stage: the Space's audio comes back on it.
        await world.server.leave_voice(world.guild_id, worker.user_id)
        await eventually(lambda: world.bot.bot.app.audio.get(first_room.space.id) is not first_room, timeout=10)
        room = await received(world, stage2, worker.user_id)
        assert abs(dominant_hz((await mixes_while_all_speak(world, [room], [("cole", 1000)]))[0]) - 1000) < 5

        # The worker is removed from the server: the Space goes without, and its host is told why.
        world.server.remove_member(world.guild_id, worker.user_id)
        left = "the audio worker receiving this Space left its Stage"
        await eventually(lambda: any(left in (m.get("content") or "") for m in world.server.messages(stage2)), 20)
        notice = next(m["content"] for m in world.server.messages(stage2) if left in (m.get("content") or ""))
        assert f"<@{world['cole']}>" in notice and "Another Space (**Friday AMA**" in notice, notice
        assert world.bot.bot.app.audio.get(room.space.id) is None
        shared = await world.slash(stage2, world["lee"], "space share")
        assert "Another Space (**Friday AMA**" in shared.content, shared.content
    finally:
        await world.close()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason=ESPEAK)
async def test_a_workers_space_carries_its_own_speakers_sentence_and_not_the_other_spaces(
    workers_world: tuple[World, list[BotAccount]],
) -> None:
    world, (worker, _) = workers_world
    await start_space(world)
    main_room = await received(world, world.stage_id, world.bot.bot.user.id)
    stage2, _ = await open_stage(world, "cole", "Second Stage", "Late Night Beats")
    room = await received(world, stage2, worker.user_id)
    hers = speech("Welcome to the Friday AMA. Today we talk about music production.")
    his = speech("Late night beats start now, with three new tracks from our members.", voice="en+m3")
    await audio_has_flowed(world, main_room, "hana")
    await audio_has_flowed(world, room, "cole")
    cole, packets = world["cole"], encode_opus(his)
    # As in test_audio_receive: the waveform only matches if the mix played every packet, which a starved machine
    # may not allow (the jitter buffer drops a burst after a stall); such a pass says nothing: say it again.
    played = []
    for _ in range(4):
        before = played_so_far(room, cole)
        heard = asyncio.create_task(capture(room.hub, len(his) / 48_000 + 1.0))
        await asyncio.gather(
            world.server.speak(world.guild_id, world["hana"], encode_opus(hers)),
            world.server.speak(world.guild_id, cole, packets),
        )
        out = await heard
        await eventually(lambda: not still_playing(room, cole))
        played.append(played_so_far(room, cole) - before)
        if played[-1] == len(packets):
            assert speech_score(out, his) > 0.7, speech_score(out, his)
            assert speech_score(out, hers) < 0.2, speech_score(out, hers)  # the other Stage's sentence is not there
            return
    raise AssertionError(f"the mix never played all {len(packets)} packets of an utterance: {played}")
