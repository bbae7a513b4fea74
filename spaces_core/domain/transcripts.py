"""A Space's transcript: the phrases its speakers said, and the files a member takes away (.txt and WebVTT).

Times are offsets from the Space's start (`timedelta`), not wall-clock datetimes: WebVTT cues, the replay's seek
position and the caption pipeline (which counts samples since the stream began) all speak in offsets, and an
offset needs no time zone. The wall-clock time of a phrase is the Space's `started_at` plus its `start`.

Speakers are ids here; the caller passes their display names as a mapping, so the core writes no Discord markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["Phrase", "TranscriptHit", "cue_time", "matched_spans", "render_txt", "render_vtt", "search_words"]

# A member's search is cut to this many words, each to this many characters: enough for any real question, and
# a pasted essay can't become a query the database spends seconds on.
MAX_SEARCH_WORDS = 12
MAX_WORD_CHARS = 64


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase one speaker said, `start` and `end` counted from the Space's start."""

    space_id: str
    speaker_id: int
    start: timedelta
    end: timedelta
    text: str
    language: str  # the language the server set for captions (e.g. "en"), never guessed per phrase

    def __post_init__(self) -> None:
        if self.start < timedelta(0) or self.end < self.start:
            raise ValueError(f"a phrase runs forward from the Space's start: {self.start} → {self.end}")


@dataclass(frozen=True, slots=True)
class TranscriptHit:
    """A phrase found by a search in a guild's past Spaces."""

    space_id: str
    speaker_id: int
    start: timedelta
    text: str


def cue_time(offset: timedelta) -> str:
    """WebVTT's `HH:MM:SS.mmm` (hours keep counting past 99 rather than wrap)."""
    millis = int(offset / timedelta(milliseconds=1))
    seconds, ms = divmod(millis, 1000)
    minutes, s = divmod(seconds, 60)
    h, m = divmod(minutes, 60)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def render_txt(phrases: Iterable[Phrase], names: Mapping[int, str]) -> str:
    """`[HH:MM:SS] Name: text`, one phrase a line, for reading and pasting."""
    lines = [f"[{cue_time(p.start)[:8]}] {_name(p.speaker_id, names)}: {_one_line(p.text)}" for p in phrases]
    return "".join(f"{line}\n" for line in lines)


def render_vtt(phrases: Iterable[Phrase], names: Mapping[int, str]) -> str:
    """A WebVTT file: the header, then one cue a phrase with its speaker as a voice tag (`<v Name>`)."""
    cues = [_cue(p, _escape(_name(p.speaker_id, names))) for p in phrases]
    return "WEBVTT\n\n" + "".join(f"{cue}\n\n" for cue in cues)


def _cue(phrase: Phrase, voice: str) -> str:
    return f"{cue_time(phrase.start)} --> {cue_time(phrase.end)}\n<v {voice}>{_escape(_one_line(phrase.text))}"


def search_words(query: str) -> list[str]:
    """The words of a member's search, lower-cased: letters and digits only, so no quote, `*`, `-`, `NEAR` or
    parenthesis ever reaches a query language as an operator (`NEAR`, `AND`, `OR` stay plain words). Underscores
    split words too, because both databases' tokenizers split on them. Empty when nothing is searchable."""
    cut = query[: MAX_SEARCH_WORDS * (MAX_WORD_CHARS + 1) * 4]
    return [word.lower()[:MAX_WORD_CHARS] for _, _, word in _words(cut)[:MAX_SEARCH_WORDS]]


def matched_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Where a search hit `text`, as (start, end) character spans, for the caller to highlight in its own markup:
    words equal to one the member typed, or starting with the last one (the search's prefix)."""
    wanted = search_words(query)
    if not wanted:
        return []
    whole, prefix = set(wanted[:-1]), wanted[-1]
    return [
        (start, end) for start, end, word in _words(text) if word.lower() in whole or word.lower().startswith(prefix)
    ]


def _words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of each run of letters and digits."""
    found: list[tuple[int, int, str]] = []
    start: int | None = None
    for index, char in enumerate(f"{text} "):  # the trailing space ends the last word
        if char.isalnum():
            start = index if start is None else start
        elif start is not None:
            found.append((start, index, text[start:index]))
            start = None
    return found


def _name(speaker_id: int, names: Mapping[int, str]) -> str:
    return _one_line(names.get(speaker_id, "")) or f"Speaker {speaker_id}"


def _one_line(text: str) -> str:
    # A blank line ends a WebVTT cue, and a line break in .txt would start what looks like another phrase.
    return " ".join(text.split())


def _escape(text: str) -> str:
    # WebVTT cue text is HTML-like: `&` and `<` start entities and tags, and `>` would close a voice tag or make
    # `-->` read as a timing line.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
