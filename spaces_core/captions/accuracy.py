"""Word error rate, for the captions' tests and benchmark: words compared after case and punctuation are dropped."""

from __future__ import annotations

import re

__all__ = ["normalise", "word_error_rate"]

_NOT_WORD = re.compile(r"[^\w\s']+")


def normalise(text: str) -> list[str]:
    """Lower case, punctuation gone (apostrophes kept inside words: "don't" stays one word)."""
    return [word.strip("'") for word in _NOT_WORD.sub(" ", text.lower()).split() if word.strip("'")]


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
