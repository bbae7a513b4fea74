"""Recording as members see it: /space record on|off|optout, the replay file and page, deleting it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np

from demo.world import World, open_world
from sandbox.speech import encode_opus, tone
from tests.e2e.conftest import eventually, live_space, press, start_space
from tests.e2e.test_audio_receive import in_space, level_at, room_of


def recordings(world: World) -> Path:
    return Path(world.bot.bot.app.audio.replays.directory)


def decoded(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray() for frame in container.decode(audio=0)]
    samples = np.concatenate([f.reshape(-1, 2) if f.shape[0] == 1 else f.T for f in frames])[:, 0]
    return samples.astype(np.float64) / (32768.0 if samples.dtype == np.int16 else 1.0)


async def record(world: World, who: str, mode: str) -> Any:
    record = await world.slash(world.stage_id, world[who], "space record", mode=mode)
    if mode in ("on", "off") and "Only" not in (record.content or ""):
        # The reply comes with the commit; the recorder attaches to the mix right after. Wait for it, so a loaded
        # machine cannot make the test speak into a recorder that is not there yet (or still there).
        space = await live_space(world)
        room = world.bot.bot.app.audio.get(space.id)
        await eventually(lambda: room.recording is not None and room.recording.active == (mode == "on"))
    return record


async def bring_up(world: World, name: str) -> None:
    await world.server.join_voice(world.guild_id, world[name], world.stage_id)
    await eventually(lambda: in_space(world, "present", name))
    await world.server.raise_hand(world.guild_id, world[name])
    await eventually(lambda: in_space(world, "queue", name))
    await world.slash(world.stage_id, world["hana"], "stage approve", member=world[name])
    await eventually(lambda: in_space(world, "speakers", name))


async def speak(world: World, tones: dict[str, int], seconds: float) -> None:
    await asyncio.gather(
        *(world.server.speak(world.guild_id, world[name], encode_opus(tone(hz, seconds))) for name, hz in tones.items())
    )


def replay_link(content: str) -> str:
    """The personal link in `/space replay`'s private answer."""
    found = re.search(r"https?://\S+/replays/\S+", content)
    assert found is not None, content
    return found.group(0)


def audio_of(link: str) -> str:
    page, query = link.split("?", 1)
    return f"{page}/audio.ogg?{query}"


def notices(world: World) -> list[str]:
    return [m.get("content") or "" for m in world.server.messages(world.stage_id)]


async def test_recording_leaves_out_the_opted_out_speaker_and_gives_a_seekable_replay(world: World) -> None:
    await start_space(world)
    await room_of(world)
    space = await live_space(world)
    await bring_up(world, "cole")
    await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)
    await eventually(lambda: in_space(world, "present", "lee"))

    refused = await record(world, "lee", "on")  # a listener
    assert refused.ephemeral and "Only the host or a co-host" in refused.content, refused.content
    out = await record(world, "cole", "optout")
    assert out.ephemeral and "left out" in out.content, out.content
    on = await record(world, "hana", "on")
    assert on.ephemeral and "Recording is on" in on.content, on.content
    await eventually(lambda: any("started recording" in text for text in notices(world)))
    await eventually(
        lambda: any(
            f["name"] == "● Recording"
            for m in world.server.messages(world.stage_id)
            for e in m.get("embeds") or []
            for f in e.get("fields") or []
        )
    )
    await speak(world, {"hana": 440, "cole": 1000}, 2.0)
    await world.slash(world.stage_id, world["hana"], "space end")

    path = recordings(world) / f"{space.id}.ogg"
    await eventually(lambda: path.is_file() and world.bot.bot.app.audio.get(space.id) is None)
    heard = decoded(path)
    assert len(heard) > 48_000, len(heard)
    assert level_at(heard, 440) == 1.0
    assert level_at(heard, 1000) < 0.01, "the opted-out speaker is in the recording"

    replay = await world.slash(world.stage_id, world["cole"], "space replay")
    assert replay.ephemeral and "personal link" in replay.content, replay.content
    assert [a["filename"] for a in replay.message["attachments"]] == [f"{space.id[:8]}-replay.ogg"]
    link = replay_link(replay.content)
    web = world.bot.bot.app.web
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as page:
            assert page.status == 200 and "<audio" in await page.text()
        async with http.get(f"{web.base_url}/replays/{space.id}") as unsigned:
            assert unsigned.status == 403 and "/space replay" in await unsigned.text()
        headers = {"Range": "bytes=100-199"}
        async with http.get(audio_of(link), headers=headers) as part:
            body = await part.read()
            assert part.status == 206 and len(body) == 100
            assert part.headers["Content-Range"] == f"bytes 100-199/{path.stat().st_size}"
            assert body == path.read_bytes()[100:200]

        not_host = await world.slash(world.stage_id, world["cole"], "space replay", action="delete")
        assert not_host.ephemeral and "Only the host" in not_host.content and path.is_file()
        asked = await world.slash(world.stage_id, world["hana"], "space replay", action="delete")
        assert asked.ephemeral and "can't be undone" in asked.content, asked.content
        cancelled = await press(world, world["hana"], asked, "Cancel")
        assert "nothing was deleted" in cancelled.message["content"] and not cancelled.message["components"]
        assert path.is_file()
        asked = await world.slash(world.stage_id, world["hana"], "space replay", action="delete")
        refused = await press(world, world["cole"], asked, "Confirm")
        assert refused.ephemeral and "Only the member who asked" in refused.content and path.is_file()
        deleted = await press(world, world["hana"], asked, "Confirm")
        assert "deleted" in deleted.message["content"], deleted.message
        assert not path.exists()
        async with http.get(link) as gone:  # the replay page's own look, saying why and how to ask again
            assert gone.status == 404 and gone.content_type == "text/html"
            assert "its host deleted it" in await gone.text() and "/space replay" in await gone.text()
    none_left = await world.slash(world.stage_id, world["hana"], "space replay")
    assert "no replay" in none_left.content


async def test_nothing_is_recorded_while_recording_is_off(world: World) -> None:
    await start_space(world)
    room = await room_of(world)
    space = await live_space(world)
    await speak(world, {"hana": 440}, 1.0)  # never on: nothing at all
    assert not recordings(world).exists() or not any(recordings(world).iterdir())

    await record(world, "hana", "on")
    speaking = asyncio.create_task(speak(world, {"hana": 440}, 1.5))
    await eventually(lambda: world["hana"] in room.speaking, timeout=10)
    await speaking
    # Her last packets are through the jitter buffer and mixed (the speaking light goes out), on a busy machine too.
    await eventually(lambda: world["hana"] not in room.speaking, timeout=10)
    off = await record(world, "hana", "off")
    assert off.ephemeral and "Recording is off" in off.content
    await eventually(lambda: any("stopped recording" in text for text in notices(world)))
    await speak(world, {"hana": 1000}, 1.5)
    await world.slash(world.stage_id, world["hana"], "space end")

    path = recordings(world) / f"{space.id}.ogg"
    await eventually(lambda: world.bot.bot.app.audio.get(space.id) is None)
    heard = decoded(path)
    assert level_at(heard, 1000) < 0.01, "audio spoken while recording was off was written"
    assert level_at(heard, 440) == 1.0, f"the loudest is at {loudest_hz(heard):.0f} Hz, not the 440 Hz spoken"
    assert len(heard) < 48_000 * 2.5, len(heard) / 48_000


def loudest_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / 48_000)[int(np.argmax(spectrum))])


def parts_of(directory: Path, space_id: str) -> list[Path]:
    return sorted(directory.glob(f"{space_id}-part*.ogg"))


async def test_a_restart_mid_space_keeps_recording_and_the_replay_holds_both_halves(world: World) -> None:
    await start_space(world)
    await room_of(world)
    space = await live_space(world)
    await bring_up(world, "cole")
    await record(world, "cole", "optout")
    await record(world, "hana", "on")
    await speak(world, {"hana": 440, "cole": 1000}, 2.0)

    directory = recordings(world)
    await world.stop_bot()
    assert [p.name for p in parts_of(directory, space.id)] == [f"{space.id}-part1.ogg"]
    assert not (directory / f"{space.id}.ogg").exists()  # still live: no replay yet
    await world.start_bot()
    room = await room_of(world)  # the bot is back on the Stage, receiving
    await eventually(lambda: room.recording is not None and room.recording.active)
    await speak(world, {"hana": 660, "cole": 1000}, 2.0)
    await world.slash(world.stage_id, world["hana"], "space end")

    path = recordings(world) / f"{space.id}.ogg"
    await eventually(lambda: world.bot.bot.app.audio.get(space.id) is None and path.is_file())
    assert parts_of(directory, space.id) == []  # joined into the replay and removed
    heard = decoded(path)
    half = len(heard) // 2
    assert 3.5 * 48_000 < len(heard) < 5.5 * 48_000, len(heard) / 48_000
    assert level_at(heard[:half], 440) == 1.0 and level_at(heard[:half], 660) < 0.01
    assert level_at(heard[half:], 660) == 1.0 and level_at(heard[half:], 440) < 0.01
    assert level_at(heard, 1000) < 0.01, "the opted-out speaker is in the recording"
    replay = await world.slash(world.stage_id, world["lee"], "space replay")
    assert "personal link" in replay.content and replay.message["attachments"], replay.content


async def recorded_and_ended(world: World) -> Path:
    await start_space(world)
    await room_of(world)
    space = await live_space(world)
    await record(world, "hana", "on")
    await speak(world, {"hana": 440}, 1.0)
    await world.slash(world.stage_id, world["hana"], "space end")
    path = recordings(world) / f"{space.id}.ogg"
    await eventually(lambda: path.is_file())
    return path


async def test_privacy_delete_takes_the_replays_of_the_spaces_the_member_hosted(world: World) -> None:
    path = await recorded_and_ended(world)
    others = await press(
        world, world["cole"], await world.slash(world.chat_id, world["cole"], "privacy delete"), "Confirm"
    )
    assert "Spaces you hosted (0)" in others.message["content"], others.message
    assert path.is_file()
    mine = await press(
        world, world["hana"], await world.slash(world.chat_id, world["hana"], "privacy delete"), "Confirm"
    )
    assert "Spaces you hosted (1)" in mine.message["content"], mine.message
    assert not path.exists()
    gone = await world.slash(world.stage_id, world["hana"], "space replay")
    assert "no replay" in gone.content, gone.content


async def test_replays_older_than_the_retention_are_swept_periodically(tmp_path: Path) -> None:
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        retention_seconds = 4.0  # RECORDINGS_RETENTION_DAYS as a fraction: swept every second
        await world.start_bot(recordings_dir=str(tmp_path / "rec"), recordings_retention_days=retention_seconds / 86400)
        path = await recorded_and_ended(world)
        kept = await world.slash(world.stage_id, world["lee"], "space replay")
        assert "personal link" in kept.content, kept.content
        await eventually(lambda: not path.exists(), timeout=retention_seconds + 5)
        gone = await world.slash(world.stage_id, world["lee"], "space replay")
        assert "no replay" in gone.content, gone.content  # the record went with the file
    finally:
        await world.close()


async def test_a_replay_still_in_parts_is_joined_when_asked_for(world: World) -> None:
    path = await recorded_and_ended(world)
    space_id = path.stem
    # The state a Space ending during a restart leaves until the sweep: its parts, no replay yet.
    path.rename(path.with_name(f"{space_id}-part1.ogg"))
    (path.with_name(f"{space_id}-part2.ogg")).write_bytes(path.with_name(f"{space_id}-part1.ogg").read_bytes())
    replay = await world.slash(world.stage_id, world["lee"], "space replay")
    assert replay.ephemeral and "personal link" in (replay.content or ""), replay.content
    assert [a["filename"] for a in replay.message["attachments"]] == [f"{space_id[:8]}-replay.ogg"]
    assert parts_of(path.parent, space_id) == []
    assert 1.8 * 48_000 < len(decoded(path)) < 2.4 * 48_000  # both parts, once each


async def test_a_replay_asked_for_the_moment_its_space_ends_is_handed_over(world: World) -> None:
    """Asked right after the end, while its last part may still be closing (it was, on a loaded machine): the member
    waits that moment out (`OpenParts.closed`, tests/audio/test_open_parts.py) and gets the replay."""
    await start_space(world)
    await room_of(world)
    await record(world, "hana", "on")
    await speak(world, {"hana": 440}, 1.0)
    space = await live_space(world)
    await world.slash(world.stage_id, world["hana"], "space end")
    replay = await world.slash(world.stage_id, world["lee"], "space replay")
    assert "personal link" in (replay.content or ""), replay.content
    assert [a["filename"] for a in replay.message["attachments"]] == [f"{space.id[:8]}-replay.ogg"]
