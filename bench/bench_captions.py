"""Benchmark: live captions' accuracy, latency and cost, through the same pipeline the bot runs.

Run: `.venv/bin/python -m bench.bench_captions --corpus DIR` (`--make-corpus` first writes an espeak-ng corpus to
DIR when DIR has none). DIR holds ``clips/NAME.wav`` + ``NAME.txt`` (one utterance, its reference) and
``conversations/NAME/SPEAKER.wav`` + ``SPEAKER.txt`` + ``phrases.tsv`` (``speaker start_s end_s text``).

Clips are fed as fast as the cutter takes them (accuracy only). Conversations are fed in real time, every speaker
at once, by one 20 ms ticker standing in for the mixer: each tick hands every speaker's frame to its
`PhraseCutter` (on the loop, as the bot will) and counts the ticks that started more than one frame late.
Latency is from a phrase's end in ``phrases.tsv`` to the caption arriving for that speaker. CPU is this process's
``process_time`` over wall time during the conversations (1.0 = one core). The last line printed is one JSON
object; figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import resource
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from spaces_core.audio.format import FRAME_SAMPLES, FRAME_SECONDS
from spaces_core.captions.accuracy import normalise, word_error_rate
from spaces_core.captions.phrases import PhraseCutter
from spaces_core.captions.transcriber import Caption, Transcriber

Mono = npt.NDArray[np.float32]
RATE = 48_000


def read_wav(path: Path) -> Mono:
    """Any mono/stereo 16-bit WAV as 48 kHz mono float (linear interpolation: enough for speech)."""
    with wave.open(str(path)) as reader:
        rate, channels = reader.getframerate(), reader.getnchannels()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    samples = samples.reshape(-1, channels).mean(axis=1)
    positions = np.arange(int(len(samples) * RATE / rate)) * rate / RATE
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def write_wav(path: Path, mono: Mono) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes((np.clip(mono, -1, 1) * 32767).astype(np.int16).tobytes())


def frame_at(mono: Mono, index: int) -> npt.NDArray[np.float32]:
    piece = mono[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES]
    if len(piece) < FRAME_SAMPLES:
        piece = np.concatenate([piece, np.zeros(FRAME_SAMPLES - len(piece), np.float32)])
    return np.stack([piece, piece], axis=1)


@dataclass
class Run:
    start: float  # loop time of the first tick: phrases.tsv's zero
    first: int  # the run's first caption in the shared list of (arrival loop time, caption)
    late_ticks: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0


async def transcribe_clip(transcriber: Transcriber, heard: list[tuple[float, Caption]], mono: Mono) -> str:
    cutter = PhraseCutter(0)
    phrases = [p for i in range(-(-len(mono) // FRAME_SAMPLES)) for p in cutter.push(frame_at(mono, i), i * 0.02)]
    phrases += cutter.flush()
    target, first = transcriber.transcribed + len(phrases), len(heard)
    for phrase in phrases:
        transcriber.submit(phrase, "en")
    while transcriber.transcribed < target:  # noqa: ASYNC110 - the count moves on the worker thread: polled
        await asyncio.sleep(0.02)
    await asyncio.sleep(0)  # the last delivery, queued on the loop before the count moved
    return " ".join(caption.text for _, caption in heard[first:])


async def feed_conversation(
    transcriber: Transcriber, heard: list[tuple[float, Caption]], streams: dict[int, Mono]
) -> Run:
    """Every speaker's stream at once in real time; returns when every caption is in (or 20 s after the end)."""
    cutters = {speaker: PhraseCutter(speaker) for speaker in streams}
    frames = max(-(-len(mono) // FRAME_SAMPLES) for mono in streams.values())
    loop = asyncio.get_running_loop()
    cpu0, start = time.process_time(), loop.time()
    run = Run(start, len(heard))
    target = transcriber.transcribed
    for index in range(frames):
        deadline = start + index * FRAME_SECONDS
        await asyncio.sleep(max(0.0, deadline - loop.time()))
        if loop.time() - deadline > FRAME_SECONDS:
            run.late_ticks += 1
        for speaker, cutter in cutters.items():
            for phrase in cutter.push(frame_at(streams[speaker], index), index * FRAME_SECONDS):
                transcriber.submit(phrase, "en")
                target += 1
    for cutter in cutters.values():
        for phrase in cutter.flush():
            transcriber.submit(phrase, "en")
            target += 1
    while transcriber.transcribed + transcriber.dropped < target:  # noqa: ASYNC110 - as above
        await asyncio.sleep(0.02)
    await asyncio.sleep(0)
    run.cpu_seconds, run.wall_seconds = time.process_time() - cpu0, loop.time() - start
    return run


SENTENCES = [
    "Please call Stella and ask her to bring these things with her from the store.",
    "We will meet again next week to talk about the new garden.",
    "Thank you all for coming to the show tonight.",
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It is easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
]


def make_corpus(root: Path) -> None:
    """espeak-ng speech (Harvard sentences and a few of ours): four clips and two three-speaker conversations."""
    from sandbox.speech import speech  # espeak-ng; only the corpus maker needs it

    (root / "clips").mkdir(parents=True, exist_ok=True)
    for index, text in enumerate(SENTENCES[:4]):
        write_wav(root / "clips" / f"clip{index}.wav", speech(text))
        (root / "clips" / f"clip{index}.txt").write_text(text + "\n")
    # Three speakers at once: "staggered" starts them half a second apart, "together" all at the same moment,
    # so their phrases end together and wait for the transcriber at once.
    for name, offset in (("staggered", 0.5), ("together", 0.0)):
        write_conversation(root / "conversations" / name, offset)


def write_conversation(talk: Path, offset: float) -> None:
    from sandbox.speech import speech

    talk.mkdir(parents=True, exist_ok=True)
    rows = []
    for speaker, voice in enumerate(("en", "en-us", "en+f3"), start=1):
        lead = 0.2 + offset * (speaker - 1)
        said, stream, at = [], [np.zeros(int(lead * RATE), np.float32)], lead
        for text in SENTENCES[4 + speaker - 1 :: 3]:
            spoken = speech(text, voice=voice)
            stream += [spoken, np.zeros(int(1.2 * RATE), np.float32)]
            rows.append((speaker, at, at + len(spoken) / RATE, text))
            at += len(spoken) / RATE + 1.2
            said.append(text)
        write_wav(talk / f"{speaker}.wav", np.concatenate(stream))
        (talk / f"{speaker}.txt").write_text(" ".join(said) + "\n")
    with (talk / "phrases.tsv").open("w", newline="") as out:
        writer = csv.writer(out, delimiter="\t")
        writer.writerow(["speaker", "start_s", "end_s", "text"])
        writer.writerows((s, f"{a:.3f}", f"{b:.3f}", t) for s, a, b, t in rows)


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


async def bench(corpus: Path, model_dir: Path | None, threads: int) -> dict[str, object]:
    heard: list[tuple[float, Caption]] = []
    loop = asyncio.get_running_loop()
    transcriber = Transcriber(
        lambda caption: heard.append((loop.time(), caption)), model_dir=model_dir, cpu_threads=threads
    )
    references, hypotheses, waits = [], [], []
    cpu = wall = 0.0
    late = 0
    for clip in sorted((corpus / "clips").glob("*.wav")):
        text = await transcribe_clip(transcriber, heard, read_wav(clip))
        references.append(clip.with_suffix(".txt").read_text())
        hypotheses.append(text)
        print(f"clip {clip.stem}: WER {100 * word_error_rate(references[-1], text):.1f} %  {text}")
    for talk in sorted(p for p in (corpus / "conversations").glob("*") if p.is_dir()):
        streams = {int(w.stem): read_wav(w) for w in talk.glob("*.wav")}
        run = await feed_conversation(transcriber, heard, streams)
        with (talk / "phrases.tsv").open() as source:
            waits += latencies(run, heard, list(csv.DictReader(source, delimiter="\t")))
        cpu, wall, late = cpu + run.cpu_seconds, wall + run.wall_seconds, late + run.late_ticks
        for speaker in sorted(streams):
            text = " ".join(c.text for _, c in heard[run.first :] if c.speaker_id == speaker)
            references.append((talk / f"{speaker}.txt").read_text())
            hypotheses.append(text)
            print(f"{talk.name}/{speaker}: WER {100 * word_error_rate(references[-1], text):.1f} %  {text}")
    dropped = transcriber.dropped
    await transcriber.close()
    words = sum(len(normalise(r)) for r in references)
    errors = sum(word_error_rate(r, h) * len(normalise(r)) for r, h in zip(references, hypotheses, strict=True))
    return {
        "wer_pct": round(100 * errors / max(1, words), 2),
        "latency_p50_ms": round(1000 * float(np.percentile(waits, 50)), 0) if waits else None,
        "latency_p90_ms": round(1000 * float(np.percentile(waits, 90)), 0) if waits else None,
        "cpu_cores": round(cpu / wall, 3) if wall else None,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "model": transcriber.model_name,
        "cpu_threads": threads,
        "mixer_late_ticks": late,
        "dropped_phrases": dropped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--make-corpus", action="store_true", help="write an espeak-ng corpus into --corpus first")
    parser.add_argument("--model-dir", type=Path, default=None, help="a CTranslate2 whisper model directory")
    parser.add_argument("--cpu-threads", type=int, default=1, help="CTranslate2's threads for the one transcriber")
    args = parser.parse_args()
    if args.make_corpus:
        make_corpus(args.corpus)
    print(json.dumps(asyncio.run(bench(args.corpus, args.model_dir, args.cpu_threads))))


if __name__ == "__main__":
    main()
