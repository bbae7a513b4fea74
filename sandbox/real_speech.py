"""Real recorded speech with its transcripts, from the pocketsphinx source distribution on PyPI.

pocketsphinx's sdist ships its test data: five LibriVox sentences read by one reader (Sense and Sensibility), and a
few short commands by other speakers, each with its reference text. `scripts/install` downloads that sdist into
``.cache/speech/`` (ignored by git: audio is never committed); the clips are read straight out of the tarball.
"""

from __future__ import annotations

import io
import json
import tarfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["CACHE", "RealSpeechMissing", "Recording", "find_sdist", "recordings"]

CACHE: Final = Path(__file__).resolve().parent.parent / ".cache" / "speech"
_DATA: Final = "test/data"
# Reference texts the sdist gives outside a transcript file: its README's and its alignment test's.
_ALSO: Final = {  # file → (name and speaker, text)
    "goforward.raw": ("goforward", "go forward ten meters"),
    "forever/input_2_16k.wav": ("forever", "feels like these days go on forever"),
}


class RealSpeechMissing(RuntimeError):
    """No pocketsphinx sdist in the cache: `bash scripts/install` downloads it."""


@dataclass(frozen=True, slots=True)
class Recording:
    name: str  # e.g. "librivox-0870"
    speaker: str  # who reads it, as far as the sdist tells: "librivox", "cards", "goforward", "forever"
    samples: npt.NDArray[np.float32]  # 16 kHz mono
    text: str
    words_span: tuple[float, float] | None = None  # first word's start, last word's end (s), where the sdist aligned it


def find_sdist(directory: Path = CACHE) -> Path:
    found = sorted(directory.glob("pocketsphinx-*.tar.gz"))
    if not found:
        raise RealSpeechMissing(f"no pocketsphinx sdist in {directory}: `bash scripts/install` downloads it")
    return found[-1]


def recordings(sdist: Path | None = None) -> list[Recording]:
    """Every recording of the sdist that has a reference text, LibriVox first."""
    with tarfile.open(sdist or find_sdist()) as tar:
        root = tar.getnames()[0].split("/")[0] + "/" + _DATA + "/"

        def read(name: str) -> bytes:
            member = tar.extractfile(root + name)
            if member is None:
                raise RealSpeechMissing(f"{name} is not in the sdist")
            return member.read()

        out = []
        for line in read("librivox/transcription").decode().splitlines():
            text, _, file_id = line.replace("<s>", "").replace("</s>", "").rpartition("(")
            file_id = file_id.rstrip(")").strip()
            samples, span = _wav(read(f"librivox/{file_id}.wav")), _span(read(f"librivox/{file_id}.json"))
            out.append(Recording(f"librivox-{file_id[-4:]}", "librivox", samples, text, span))
        for line in read("cards/cards.transcription").decode().splitlines():
            text, _, file_id = line.replace("<s>", "").replace("</s>", "").rpartition("(")
            file_id = file_id.rstrip(")").strip()
            out.append(Recording(f"cards-{file_id}", "cards", _wav(read(f"cards/{file_id}.wav")), text))
        for file, (name, text) in _ALSO.items():
            audio = read(file)
            samples = _wav(audio) if file.endswith(".wav") else _pcm16(audio)
            out.append(Recording(name, name, samples, text))
    return [Recording(r.name, r.speaker, r.samples, " ".join(r.text.split()), r.words_span) for r in out]


def _span(alignment: bytes) -> tuple[float, float]:
    """From the sdist's forced alignment (pocketsphinx's JSON: ``w`` = words with begin ``b`` and duration ``d``)."""
    words = [w for w in json.loads(alignment)["w"] if w["t"] != "<sil>"]
    return float(words[0]["b"]), float(words[-1]["b"] + words[-1]["d"])


def _wav(data: bytes) -> npt.NDArray[np.float32]:
    with wave.open(io.BytesIO(data)) as reader:
        if reader.getframerate() != 16_000 or reader.getnchannels() != 1 or reader.getsampwidth() != 2:
            raise ValueError("expected 16 kHz mono 16-bit")
        return _pcm16(reader.readframes(reader.getnframes()))


def _pcm16(data: bytes) -> npt.NDArray[np.float32]:
    samples = np.frombuffer(data, "<i2").astype(np.float32)
    samples /= 32768
    return samples
