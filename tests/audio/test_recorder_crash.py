"""A bot killed in the middle of a recording (SIGKILL, no clean-up at all) leaves a part that plays up to about the
moment of the crash, and the replay made of it (alone, or joined with the part recorded after the restart) too.

The recording process is real (tests/audio/recorder_process.py): the mix engine's heartbeat, the recorder and its
worker thread writing through PyAV, killed once it has handed the recorder three seconds of audio.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

import av
import numpy as np

from bot.audio.replays import ReplayFiles
from spaces_core.audio.format import FRAME_SECONDS, SAMPLE_RATE
from tests.audio.test_audio_recorder import level, record_tone

HELPER = Path(__file__).with_name("recorder_process.py")
SPACE = "ab12" * 8
RECORDED_FRAMES = 150  # 3 s handed to the recorder before the kill
MAY_LOSE = 2.0  # seconds a crash may cost


def decoded(path: Path) -> np.ndarray:
    """The first channel of what a player gets from the file, read up to where it is cut."""
    chunks: list[np.ndarray] = []
    try:
        container = av.open(str(path))
    except av.FFmpegError:  # not even the headers were written
        return np.zeros(0, np.float32)
    with container, contextlib.suppress(av.FFmpegError):
        for frame in container.decode(audio=0):
            samples = frame.to_ndarray()
            chunks.append(samples[0] if frame.format.is_planar else samples.reshape(-1)[:: len(frame.layout.channels)])
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


async def record_then_kill(directory: Path) -> float:
    """Seconds of audio the killed process had handed its recorder."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(HELPER), str(directory), SPACE, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    frames = 0
    try:
        async with asyncio.timeout(60):
            while frames < RECORDED_FRAMES:
                line = await process.stdout.readline()
                assert line, "the recording process ended by itself"
                frames = int(line.split()[1])
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    return frames * FRAME_SECONDS


async def test_a_part_cut_by_a_crash_plays_up_to_two_seconds_before_it(tmp_path: Path) -> None:
    files = ReplayFiles(tmp_path)
    seconds = await record_then_kill(tmp_path)
    [part] = files.parts(SPACE)

    audio = decoded(part)
    assert len(audio) / SAMPLE_RATE >= seconds - MAY_LOSE, (len(audio) / SAMPLE_RATE, seconds)
    assert level(audio, 440) == 1.0  # the host's tone, not noise

    replay = await files.finish(SPACE)  # the Space ended while the bot was down: the sweep makes the replay
    assert replay is not None and files.parts(SPACE) == []
    assert len(decoded(replay)) / SAMPLE_RATE >= seconds - MAY_LOSE


async def test_a_crashed_part_is_joined_with_the_part_recorded_after_the_restart(tmp_path: Path) -> None:
    files = ReplayFiles(tmp_path)
    seconds = await record_then_kill(tmp_path)
    after_restart = await record_tone(files.next_part(SPACE), 1000, 100)  # 2 s more, closed cleanly

    replay = await files.finish(SPACE)
    assert replay is not None and not after_restart.exists()
    audio = decoded(replay)
    assert len(audio) / SAMPLE_RATE >= seconds - MAY_LOSE + 1.9
    crashed, restarted = audio[: int(0.5 * SAMPLE_RATE)], audio[-int(1.5 * SAMPLE_RATE) :]
    assert level(crashed, 440) == 1.0 and level(restarted, 1000) == 1.0  # in order, neither lost
