"""Simulated speakers talk into the Stage; the bot receives, decrypts, mixes only who may speak, encodes once."""

from __future__ import annotations

import asyncio
import shutil

import numpy as np
import pytest

from bot.audio.rooms import SpaceAudio
from demo.world import World
from sandbox.speech import encode_opus, speech, tone
from spaces_core.audio import OpusDecoder, RelayHub
from tests.e2e.conftest import eventually, live_space, start_space
from tests.missing import ESPEAK


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / 48_000)[int(np.argmax(spectrum))])


async def capture(hub: RelayHub, seconds: float) -> np.ndarray:
    decoder, subscription, frames = OpusDecoder(), hub.subscribe(queue_frames=200), []
    try:
        for _ in range(int(seconds / 0.02)):
            frames.append(decoder.decode((await subscription.recv()).payload)[:, 0])
    finally:
        hub.unsubscribe(subscription)
    return np.concatenate(frames)


def level_at(samples: np.ndarray, hz: float) -> float:
    """The spectrum's peak near ``hz`` relative to its overall peak (1.0: the loudest tone)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / 48_000)
    return float(spectrum[np.abs(freqs - hz) < 5].max() / spectrum.max())


async def in_space(world: World, field: str, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] in getattr(space, field)


async def room_of(world: World):  # type: ignore[no-untyped-def]
    space = await live_space(world)
    audio = world.bot.bot.app.audio
    assert audio is not None
    me = world.bot.bot.user.id

    def connected() -> bool:
        # On the Space's Stage too: right after a restart the old process's voice session is still known to the
        # server, with its address, before the new process has rejoined.
        session = world.server.voice.session_for(world.guild_id, me)
        state = world.server.voice_state(world.guild_id, me)
        on_stage = state is not None and int(state["channel_id"]) == space.channel_id
        heard_from = session is not None and session.client_address is not None
        return audio.get(space.id) is not None and on_stage and heard_from

    await eventually(connected)
    return audio.get(space.id)


async def test_a_member_moved_to_the_audience_leaves_the_mix(world: World) -> None:
    await start_space(world)
    room = await room_of(world)
    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    await eventually(lambda: in_space(world, "present", "cole"))
    await world.server.raise_hand(world.guild_id, world["cole"])
    await eventually(lambda: in_space(world, "queue", "cole"))
    await world.slash(world.stage_id, world["hana"], "stage approve", member=world["cole"])
    await eventually(lambda: world.server.voice_state(world.guild_id, world["cole"])["suppress"] is False)
    talk = [
        asyncio.create_task(world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 3.0)))),
        asyncio.create_task(world.server.speak(world.guild_id, world["cole"], encode_opus(tone(1000, 3.0)))),
    ]
    await asyncio.sleep(0.3)
    both = await capture(room.hub, 0.6)
    await world.slash(world.stage_id, world["hana"], "stage move", member=world["cole"])
    after = (await capture(room.hub, 0.6))[2 * 960 :]  # the encoder's look-ahead still holds a few ms
    await asyncio.gather(*talk)

    assert level_at(both, 440) > 0.3 and level_at(both, 1000) > 0.3
    assert level_at(after, 440) == 1.0
    assert level_at(after, 1000) < 0.01


async def test_speakers_are_received_and_an_audience_member_is_never_mixed(world: World) -> None:
    await start_space(world)
    space = await live_space(world)
    audio = world.bot.bot.app.audio
    assert audio is not None
    await eventually(
        lambda: (
            audio.get(space.id) is not None
            and world.server.voice.session_for(world.guild_id, world.bot.bot.user.id) is not None
        )
    )
    room = audio.get(space.id)
    assert room is not None
    bot_state = world.server.voice_state(world.guild_id, world.bot.bot.user.id)
    assert bot_state is not None and bot_state["suppress"], "the bot listens from the audience"
    await eventually(lambda: world.server.voice.session_for(world.guild_id, world.bot.bot.user.id).client_address)
    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)  # audience, never mixed

    host = asyncio.create_task(world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 2.0))))
    listener = asyncio.create_task(world.server.speak(world.guild_id, world["cole"], encode_opus(tone(1000, 2.0))))
    await asyncio.sleep(0.4)
    heard = await capture(room.hub, 1.0)
    await asyncio.gather(host, listener)

    assert abs(dominant_hz(heard) - 440) < 5
    spectrum = np.abs(np.fft.rfft(heard))
    freqs = np.fft.rfftfreq(len(heard), 1 / 48_000)
    assert spectrum[np.abs(freqs - 1000) < 5].max() < spectrum.max() / 100, "the audience member leaked in"
    assert room.receiver.stats.packets > 50


FRAME = 960  # samples in a 20 ms frame: the mix only ever inserts (conceals) or drops whole frames
MAX_SHIFT = 10  # frames of concealment one utterance may pick up on a busy machine


def speech_score(out: np.ndarray, said: np.ndarray) -> float:
    """Normalised cross-correlation of what came out with what went in, aligned as the mix can shift it.

    The receive path's delay is unknown, the waveform is not. A packet that comes late on a busy machine is
    concealed (one frame of Opus PLC) and played a frame later, so each 20 ms frame of ``said`` is compared at the
    best lag plus a whole number of frames, never decreasing from one frame to the next (a frame only ever moves
    later): a dynamic programme picks those shifts. Only lags where the output follows the input count."""
    n = len(out) + len(said)
    corr = np.fft.irfft(np.fft.rfft(out, n) * np.conj(np.fft.rfft(said, n)), n)
    lag = int(np.argmax(corr[: len(out)]))
    shifts = np.arange(-MAX_SHIFT, MAX_SHIFT + 1) * FRAME
    frames = len(said) // FRAME
    padded = np.concatenate([np.zeros(MAX_SHIFT * FRAME), out, np.zeros(len(said) + MAX_SHIFT * FRAME)])
    dots, energies = np.zeros((frames, len(shifts))), np.zeros((frames, len(shifts)))
    for j in range(frames):
        piece = said[j * FRAME : (j + 1) * FRAME]
        for i, shift in enumerate(shifts):
            start = MAX_SHIFT * FRAME + lag + j * FRAME + shift
            segment = padded[max(0, start) : max(0, start) + FRAME]
            dots[j, i], energies[j, i] = float(np.dot(segment, piece)), float(np.dot(segment, segment))
    # best[j, i]: the best sum of dots for frames 0..j with frame j at shift i and shifts never decreasing.
    best, came_from = dots.copy(), np.zeros((frames, len(shifts)), dtype=int)
    for j in range(1, frames):
        prefix = np.maximum.accumulate(best[j - 1])
        came_from[j] = [int(np.argmax(best[j - 1][: i + 1])) for i in range(len(shifts))]
        best[j] += prefix
    i, total_dot, total_energy = int(np.argmax(best[-1])), 0.0, 0.0
    for j in range(frames - 1, -1, -1):
        total_dot, total_energy = total_dot + dots[j, i], total_energy + energies[j, i]
        i = int(came_from[j, i])
    heard = float(np.dot(said[: frames * FRAME], said[: frames * FRAME]))
    return total_dot / (np.sqrt(total_energy * heard) + 1e-9)


def played_so_far(room: SpaceAudio, user_id: int) -> int:
    jitter = room.engine.jitter_of(user_id)
    return jitter.stats.played if jitter is not None else 0


def still_playing(room: SpaceAudio, user_id: int) -> bool:
    jitter = room.engine.jitter_of(user_id)
    return jitter is not None and jitter.playing


async def audio_has_flowed(world: World, room: SpaceAudio, name: str) -> None:
    """A short hello until the bot has matched the member's SSRC to them (its SPEAKING message can be handled after
    their first packets, which are then dropped) and it has played out: what they say next arrives whole."""
    ssrc = world.server.voice.ssrc_of(world.guild_id, world[name])
    await world.server.speak(world.guild_id, world[name], encode_opus(tone(440, 0.2)))
    await eventually(lambda: room.receiver.member_of(ssrc) == world[name])
    await eventually(lambda: not still_playing(room, world[name]))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason=ESPEAK)
async def test_speech_comes_out_of_the_mix_like_it_went_in(world: World) -> None:
    await start_space(world)
    room = await room_of(world)
    hana = world["hana"]
    said = speech("Welcome to the Friday AMA. Today we talk about music production.")
    packets = encode_opus(said)
    await audio_has_flowed(world, room, "hana")
    # The waveform can only match if the mix played every packet: on a starved machine the sender (in this
    # process) bursts after a stall and the jitter buffer rightly drops what overflows its 200 ms. Such a pass
    # says nothing about the waveform: say it again.
    played = []
    for _ in range(4):
        before = played_so_far(room, hana)
        heard = asyncio.create_task(capture(room.hub, len(said) / 48_000 + 1.0))
        await world.server.speak(world.guild_id, hana, packets)
        out = await heard
        await eventually(lambda: not still_playing(room, hana))
        played.append(played_so_far(room, hana) - before)
        if played[-1] == len(packets):
            score = speech_score(out, said)
            assert score > 0.7, score
            return
    raise AssertionError(f"the mix never played all {len(packets)} packets of an utterance: {played}")
