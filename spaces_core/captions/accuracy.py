"""Word error rate, for the captions' tests and benchmark: words compared after case, punctuation and numbers.

Whisper writes "10 meters" and "Mr. Dashwood" where a reference transcript says "ten meters" and "mister
dashwood": both sides are brought to the spelled-out form, so only a misheard word counts as an error.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["normalise", "spell_number", "word_error_rate"]

_NOT_WORD = re.compile(r"[^\w\s']+")
_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NUMBER = re.compile(r"\b(\d+)(?:\.(\d+))?(st|nd|rd|th)?\b")
_ONES: Final = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS: Final = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES: Final = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"), (100, "hundred"))
_ORDINALS: Final = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_ABBREVIATIONS: Final = {"mr": "mister", "mrs": "missus", "dr": "doctor", "%": "percent"}


def spell_number(number: int) -> str:
    """1234 → "one thousand two hundred thirty four" (no "and", as most reference transcripts write it)."""
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    for scale, name in _SCALES:
        if number >= scale:
            high, rest = divmod(number, scale)
            return f"{spell_number(high)} {name}" + (f" {spell_number(rest)}" if rest else "")
    raise AssertionError(number)  # unreachable: every number ≥ 100 has a scale


def _spelled(match: re.Match[str]) -> str:
    whole, fraction, suffix = match.groups()
    words = spell_number(int(whole))
    if fraction:
        words += " point " + " ".join(_ONES[int(digit)] for digit in fraction)
    elif suffix:
        head, _, last = words.rpartition(" ")
        words = f"{head} {_ordinal(last)}".strip()
    return f" {words} "


def _ordinal(word: str) -> str:
    if word in _ORDINALS:
        return _ORDINALS[word]
    return word[:-1] + "ieth" if word.endswith("y") else word + "th"


def normalise(text: str) -> list[str]:
    """Lower case, numbers spelled out, a few abbreviations spelled out, punctuation gone (apostrophes kept inside
    words: "don't" stays one word)."""
    text = _NUMBER.sub(_spelled, _THOUSANDS_COMMA.sub("", text.lower().replace("%", " % ")))
    words = (_ABBREVIATIONS.get(word, word) for word in _NOT_WORD.sub(lambda m: _keep_percent(m[0]), text).split())
    return [word.strip("'") for word in words if word.strip("'")]


def _keep_percent(punctuation: str) -> str:
    return " % " if "%" in punctuation else " "


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by edit distance over words; 0.0 for two empties."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, start=1):
        current = [i]
        for j, heard in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != heard)))
        previous = current
    return previous[-1] / len(ref)
