"""The recap shown when a Space ends: extractive only, computed from its phrases and the Space's own facts.

No generative model (one tried for issue 14 repeated itself and invented facts): every quote, question and
keyword here is taken from what was said. The output is deterministic — the same phrases give the same recap —
and is structured data; the bot renders it.

Key quotes are TextRank over sentence similarity, implemented here with numpy (`summa`, the usual package, has
had no release since 2019 and pulls in SciPy for one power iteration). Chapters come from `yake` keywords.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import yake

from spaces_core.domain.transcripts import Phrase

__all__ = [
    "Chapter",
    "Phrase",
    "Question",
    "Quote",
    "Recap",
    "SpaceFacts",
    "TalkTime",
    "build_recap",
    "chapters",
    "is_question",
    "key_quotes",
    "links",
    "questions",
    "recap_data",
    "talk_time",
    "textrank",
]

MAX_QUOTES = 5
MIN_QUOTES = 3
MIN_CHAPTERS = 3
MAX_CHAPTERS = 6
# A quote shorter than this says too little to stand alone ("Yeah, exactly.").
MIN_QUOTE_WORDS = 6
# Two quotes sharing more than this share of their content words are one point made twice.
MAX_QUOTE_OVERLAP = 0.5


@dataclass(frozen=True, slots=True)
class SpaceFacts:
    """What the Space itself knows, carried into the recap unchanged."""

    duration: timedelta
    peak_listeners_discord: int = 0
    peak_listeners_web: int = 0
    pinned_links: tuple[str, ...] = ()
    replay_url: str | None = None


@dataclass(frozen=True, slots=True)
class TalkTime:
    speaker_id: int
    total: timedelta


@dataclass(frozen=True, slots=True)
class Quote:
    speaker_id: int
    at: timedelta
    text: str


@dataclass(frozen=True, slots=True)
class Question:
    speaker_id: int
    at: timedelta
    text: str


@dataclass(frozen=True, slots=True)
class Chapter:
    keyword: str
    at: timedelta


@dataclass(frozen=True, slots=True)
class Recap:
    facts: SpaceFacts
    talk_time: tuple[TalkTime, ...] = ()
    quotes: tuple[Quote, ...] = ()
    questions: tuple[Question, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A sentence cut from a phrase; it keeps the phrase's speaker and start (whisper gives no finer times)."""

    speaker_id: int
    at: timedelta
    text: str


def build_recap(phrases: Iterable[Phrase], facts: SpaceFacts) -> Recap:
    """The recap of one Space from its phrases (in any order) and its facts."""
    ordered = sorted(phrases, key=lambda p: (p.start, p.end, p.speaker_id, p.text))
    return Recap(
        facts=facts,
        talk_time=talk_time(ordered),
        quotes=key_quotes(ordered),
        questions=questions(ordered),
        chapters=chapters(ordered),
        links=links(ordered, facts.pinned_links),
    )


def talk_time(phrases: Iterable[Phrase]) -> tuple[TalkTime, ...]:
    """Each speaker's summed phrase durations, most first (ties by speaker id, so the order is stable)."""
    totals: dict[int, timedelta] = {}
    for phrase in phrases:
        # A Phrase never runs backwards (it refuses to be built so), so a duration is never negative.
        totals[phrase.speaker_id] = totals.get(phrase.speaker_id, timedelta(0)) + (phrase.end - phrase.start)
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return tuple(TalkTime(speaker_id, total) for speaker_id, total in ranked)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _sentences(phrases: Sequence[Phrase]) -> list[_Sentence]:
    out: list[_Sentence] = []
    for phrase in phrases:
        for piece in _SENTENCE_END.split(phrase.text.strip()):
            if piece.strip():
                out.append(_Sentence(phrase.speaker_id, phrase.start, piece.strip()))
    return out


_WORD = re.compile(r"[a-z0-9']+")
_WH_WORDS = frozenset({"who", "what", "when", "where", "why", "how", "which", "whose", "whom"})
_AUXILIARIES = frozenset(
    {
        "is", "are", "was", "were", "do", "does", "did", "can", "could", "would", "should", "will", "shall",
        "may", "might", "have", "has", "had", "am", "isn't", "aren't", "don't", "doesn't", "didn't", "can't",
        "won't", "what's", "how's", "who's", "where's",
    }
)  # fmt: skip
_SUBJECTS = frozenset({"you", "i", "we", "they", "he", "she", "it", "there", "anyone", "anybody", "someone"})


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def is_question(sentence: str) -> bool:
    """A question by its form: a question mark, or an interrogative opening.

    A bare wh-word is not enough ("What I do is layer the kick"): it must be followed by an auxiliary ("How do
    you…"); an auxiliary must be followed by a subject ("Do you…", not the imperative "Do that first.").
    """
    words = _words(sentence)
    if words and sentence.rstrip().endswith("?"):
        return True
    if len(words) < 2:
        return False
    first, second = words[0], words[1]
    if first in _WH_WORDS:
        return second in _AUXILIARIES
    if first.endswith("'s") and first[:-2] in _WH_WORDS:
        return True
    return first in _AUXILIARIES and second in _SUBJECTS


def questions(phrases: Sequence[Phrase]) -> tuple[Question, ...]:
    """Every question asked, who asked it and when, in the order asked (phrases sorted by start)."""
    return tuple(Question(s.speaker_id, s.at, s.text) for s in _sentences(phrases) if is_question(s.text))


# Function words carry no topic: two sentences sharing only "the" and "and" are not similar.
_STOPWORD_TEXT = """
    a about after again all also am an and any are as at be because been before being but by can could did do
    does doing don't for from get got had has have he her here him his how i i'm if in into is it it's its
    just like me more most my no not now of off on one only or other our out over really right so some such
    than that that's the their them then there these they this those through to too up very was we what when
    where which while who why will with would yeah yes you your you're okay oh um uh gonna kind sort thing
    things lot
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _content_words(text: str) -> set[str]:
    return {w for w in _words(text) if w not in _STOPWORDS and len(w) > 1}


def _similarity(matrix_words: Sequence[set[str]]) -> np.ndarray:
    """TextRank's sentence similarity: shared content words over the log of the sentences' lengths."""
    n = len(matrix_words)
    sim = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            shared = len(matrix_words[i] & matrix_words[j])
            if not shared:
                continue
            norm = math.log(len(matrix_words[i]) + 1) + math.log(len(matrix_words[j]) + 1)
            sim[i, j] = sim[j, i] = shared / norm
    return sim


def textrank(texts: Sequence[str], damping: float = 0.85, iterations: int = 100) -> list[float]:
    """PageRank over the sentence-similarity graph (Mihalcea & Tarau 2004); one score per text."""
    n = len(texts)
    if n == 0:
        return []
    sim = _similarity([_content_words(t) for t in texts])
    out_weight = sim.sum(axis=1)
    # A sentence that shares nothing links to no one; its rank then comes from the damping term alone.
    transition = np.divide(sim, out_weight[:, None], out=np.zeros_like(sim), where=out_weight[:, None] > 0)
    scores = np.full(n, 1.0 / n)
    for _ in range(iterations):
        updated = (1 - damping) / n + damping * (transition.T @ scores)
        if np.abs(updated - scores).sum() < 1e-9:
            scores = updated
            break
        scores = updated
    return [float(s) for s in scores]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def key_quotes(phrases: Sequence[Phrase]) -> tuple[Quote, ...]:
    """The 3–5 most central statements (questions are listed apart), in the order they were said."""
    candidates = [s for s in _sentences(phrases) if not is_question(s.text) and len(_words(s.text)) >= MIN_QUOTE_WORDS]
    if not candidates:
        return ()
    scores = textrank([s.text for s in candidates])
    wanted = max(MIN_QUOTES, min(MAX_QUOTES, len(candidates) // 8))
    # Ties go to the earlier sentence, so the choice never depends on anything but the input.
    ranked = sorted(range(len(candidates)), key=lambda i: (-round(scores[i], 12), i))
    best: list[int] = []
    for i in ranked:
        if len(best) == wanted:
            break
        words = _content_words(candidates[i].text)
        # A line said twice (or nearly) ranks twice as high; the recap shows it once.
        if all(_overlap(words, _content_words(candidates[j].text)) <= MAX_QUOTE_OVERLAP for j in best):
            best.append(i)
    return tuple(Quote(candidates[i].speaker_id, candidates[i].at, candidates[i].text) for i in sorted(best))


def _mentions(keyword: str, text: str) -> bool:
    return re.search(r"\b" + re.escape(keyword.lower()) + r"\b", text.lower()) is not None


def _stems(keyword: str) -> set[str]:
    # Plural and singular are one topic: "sample" and "vinyl samples" make one chapter, not two.
    return {w.removesuffix("s") for w in _words(keyword)}


def _keywords(text: str) -> list[str]:
    extractor = yake.KeywordExtractor(lan="en", n=2, dedup_lim=0.7, top=30)
    ranked = extractor.extract_keywords(text)
    # yake's score: lower is more relevant; ties broken by the keyword itself for a stable order.
    return [kw for kw, _score in sorted(ranked, key=lambda item: (float(item[1]), item[0].lower()))]


def _is_name(word: str, text: str) -> bool:
    """A word only ever written capitalised mid-sentence is a name ("Dre"), not a topic."""
    mid_sentence = r"(?<![.!?]\s)(?<!^)\b" + re.escape(word) + r"\b"
    found = re.findall(mid_sentence, text, flags=re.IGNORECASE | re.MULTILINE)
    return bool(found) and all(w[0].isupper() for w in found)


def _candidates(phrases: Sequence[Phrase], text: str) -> list[tuple[int, str]]:
    """Keywords, best first, each with the first phrase that says it; names and repeats of one topic dropped."""
    found: list[tuple[int, str]] = []
    for keyword in _keywords(text):
        if any(_is_name(w, text) for w in keyword.split()) or any(_stems(keyword) & _stems(kw) for _, kw in found):
            continue  # "drum" after "kick drum" would be the same chapter twice.
        first = next((i for i, p in enumerate(phrases) if _mentions(keyword, p.text)), None)
        if first is not None and all(first != i for i, _ in found):
            found.append((first, keyword))
    return found


def chapters(phrases: Sequence[Phrase]) -> tuple[Chapter, ...]:
    """Three to six top keywords, each starting at the first phrase (sorted by start) that says it, in time order.

    Chapters closer than a twelfth of the talk are one stretch of it, so only the better keyword keeps it — unless
    that would leave fewer than three (a long Space whose topics were all named early).
    """
    text = "\n".join(p.text.strip() for p in phrases if p.text.strip())
    if not _words(text):
        return ()
    candidates = _candidates(phrases, text)
    min_gap = (phrases[-1].end - phrases[0].start) / (2 * MAX_CHAPTERS)
    chosen: dict[int, str] = {}
    for first, keyword in candidates:
        if len(chosen) < MAX_CHAPTERS and all(abs(phrases[first].start - phrases[i].start) >= min_gap for i in chosen):
            chosen[first] = keyword
    for first, keyword in candidates:
        if len(chosen) >= MIN_CHAPTERS:
            break
        chosen.setdefault(first, keyword)
    return tuple(Chapter(chosen[i], phrases[i].start) for i in sorted(chosen))


_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def links(phrases: Iterable[Phrase], pinned: Iterable[str]) -> tuple[str, ...]:
    """The pinned links, then any URL said in a phrase, each once, in first-seen order."""
    seen: dict[str, None] = dict.fromkeys(pinned)
    for phrase in phrases:
        for url in _URL.findall(phrase.text):
            seen.setdefault(url.rstrip(".,;:!?"), None)
    return tuple(seen)


def _seconds(offset: timedelta) -> float:
    return offset.total_seconds()


def recap_data(recap: Recap) -> dict[str, object]:
    """The recap as plain JSON-ready data (times in seconds from the Space's start) for the bot and the web page."""
    facts = recap.facts
    return {
        "duration_s": _seconds(facts.duration),
        "peak_listeners": {"discord": facts.peak_listeners_discord, "web": facts.peak_listeners_web},
        "talk_time": [{"speaker_id": t.speaker_id, "seconds": _seconds(t.total)} for t in recap.talk_time],
        "quotes": [{"speaker_id": q.speaker_id, "at_s": _seconds(q.at), "text": q.text} for q in recap.quotes],
        "questions": [{"speaker_id": q.speaker_id, "at_s": _seconds(q.at), "text": q.text} for q in recap.questions],
        "chapters": [{"keyword": c.keyword, "at_s": _seconds(c.at)} for c in recap.chapters],
        "links": list(recap.links),
        "replay_url": facts.replay_url,
    }
