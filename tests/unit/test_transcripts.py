"""A transcript rendered to the files a member takes away: plain text and WebVTT (header, cue timings past an
hour, the speaker as a voice tag, cue text escaped so a member's words can't become tags or a timing line), and a
member's search turned into plain words that no query language reads as operators."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spaces_core.domain.transcripts import (
    MAX_SEARCH_WORDS,
    MAX_WORD_CHARS,
    Phrase,
    cue_time,
    matched_spans,
    render_txt,
    render_vtt,
    search_words,
)

NAMES = {1: "hana", 2: "lee <DJ> & co"}


def phrase(speaker: int, start_s: float, end_s: float, words: str) -> Phrase:
    return Phrase("s1", speaker, timedelta(seconds=start_s), timedelta(seconds=end_s), words, "en")


def test_an_empty_transcript_is_a_valid_file_of_each_kind() -> None:
    assert render_vtt([], NAMES) == "WEBVTT\n\n"
    assert render_txt([], NAMES) == ""


def test_cue_times_count_hours_and_milliseconds() -> None:
    assert cue_time(timedelta(0)) == "00:00:00.000"
    assert cue_time(timedelta(hours=1, minutes=2, seconds=3, milliseconds=45)) == "01:02:03.045"
    assert cue_time(timedelta(hours=101, microseconds=999)) == "101:00:00.000"  # never wraps; sub-ms dropped


def test_webvtt_cues_carry_the_speaker_and_escape_what_was_said() -> None:
    vtt = render_vtt(
        [phrase(1, 1.5, 4.25, "Who's on <first> & second --> third?"), phrase(2, 3725.0, 3731.007, "over\nan hour")],
        NAMES,
    )
    assert vtt == (
        "WEBVTT\n\n"
        "00:00:01.500 --> 00:00:04.250\n<v hana>Who's on &lt;first&gt; &amp; second --&gt; third?\n\n"
        "01:02:05.000 --> 01:02:11.007\n<v lee &lt;DJ&gt; &amp; co>over an hour\n\n"
    )


def test_plain_text_names_each_line_and_keeps_a_phrase_on_one_line() -> None:
    txt = render_txt([phrase(1, 61.9, 63, "hello\n\nthere"), phrase(3, 3725, 3726, "who is this")], NAMES)
    assert txt == "[00:01:01] hana: hello there\n[01:02:05] Speaker 3: who is this\n"


def test_a_phrase_runs_forward_from_the_spaces_start() -> None:
    with pytest.raises(ValueError, match="runs forward"):
        phrase(1, 5, 4, "backwards")
    with pytest.raises(ValueError, match="runs forward"):
        phrase(1, -1, 4, "before the start")


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", []),
        ("   \t\n", []),
        ('"*-()^:', []),
        ('"unbalanced quote', ["unbalanced", "quote"]),
        ("cats NEAR dogs", ["cats", "near", "dogs"]),
        ("-not this OR that AND *", ["not", "this", "or", "that", "and"]),
        ("e-mail's snake_case", ["e", "mail", "s", "snake", "case"]),
        ("Café ÉTÉ 2026", ["café", "été", "2026"]),
        ("'; DROP TABLE spaces; --", ["drop", "table", "spaces"]),
    ],
)
def test_a_members_search_becomes_plain_words(typed: str, words: list[str]) -> None:
    assert search_words(typed) == words


def test_a_very_long_search_is_cut_to_a_few_short_words() -> None:
    assert search_words("x" * 100_000) == ["x" * MAX_WORD_CHARS]
    assert len(search_words("word " * 50_000)) == MAX_SEARCH_WORDS


def test_the_words_a_search_matched_are_given_as_spans_to_highlight() -> None:
    text = "Who brought the drum-machine? The drummer!"
    spans = matched_spans(text, '"the" DRUM')
    assert [text[start:end] for start, end in spans] == ["the", "drum", "The", "drummer"]
    assert matched_spans(text, " * ") == []
    assert matched_spans("", "who") == []
