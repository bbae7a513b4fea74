"""A bot process recording a live Space, for the crash test: the host's 440 Hz tone through the real mix engine
(its 20 ms heartbeat) into a ``Recorder`` writing the Space's first part under a recordings directory.

    python tests/audio/recorder_process.py <recordings dir> <space id>

Prints `frames <n>` on stdout at every tick once recording: how many frames of the mix the recorder was handed.
Runs until killed, which is the point.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]

import numpy as np  # noqa: E402

from bot.audio.replays import ReplayFiles  # noqa: E402
from spaces_core.audio import MixedFrame, MixEngine, OpusEncoder, RelayHub, RtpAudio  # noqa: E402
from spaces_core.audio.format import FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE, Pcm  # noqa: E402
from spaces_core.audio.recorder import Recorder  # noqa: E402

HOST = 1


def tone(index: int) -> Pcm:
    t = (np.arange(FRAME_SAMPLES) + index * FRAME_SAMPLES) / SAMPLE_RATE
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.stack([wave, wave], axis=1)


async def main(directory: Path, space_id: str) -> None:
    engine = MixEngine(RelayHub())
    engine.set_allowed({HOST})
    recorder = Recorder(ReplayFiles(directory).next_part(space_id))
    await recorder.start()
    engine.add_tap(recorder)
    handed = 0

    def count(frames: object, mixed: MixedFrame) -> None:
        nonlocal handed
        handed += 1
        print(f"frames {handed}", flush=True)

    engine.add_tap(count)
    engine.start()
    host, loop = OpusEncoder(), asyncio.get_running_loop()
    deadline = loop.time()
    for index in range(1 << 30):  # the host speaking, one packet every 20 ms
        engine.push(HOST, RtpAudio(index & 0xFFFF, index * FRAME_SAMPLES, host.encode(tone(index))), loop.time())
        deadline += FRAME_SECONDS
        await asyncio.sleep(max(0.0, deadline - loop.time()))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
