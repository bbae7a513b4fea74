"""The recap over a realistic beat-making Q&A: exact talk time, questions by form, real quotes, timed chapters."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from spaces_core.recap import (
    Phrase,
    Question,
    SpaceFacts,
    TalkTime,
    build_recap,
    chapters,
    is_question,
    key_quotes,
    recap_data,
    talk_time,
    textrank,
)
from tests.unit.recap_conversation import DRE, KIM, MAYA, SPACE_ID, conversation

FACTS = SpaceFacts(
    duration=timedelta(minutes=4, seconds=40),
    peak_listeners_discord=31,
    peak_listeners_web=12,
    pinned_links=("https://beats.example/pack",),
    replay_url="https://spaces.example/replay/77",
)


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def phrase(speaker: int, start: float, end: float, text: str) -> Phrase:
    return Phrase(SPACE_ID, speaker, s(start), s(end), text, "en")


def test_talk_time_is_the_exact_sum_of_each_speakers_phrases_most_first() -> None:
    recap = build_recap(conversation(), FACTS)
    expected = {
        speaker: sum((p.end - p.start for p in conversation() if p.speaker_id == speaker), timedelta(0))
        for speaker in (MAYA, DRE, KIM)
    }
    assert recap.talk_time == (
        TalkTime(DRE, timedelta(seconds=134.5)),
        TalkTime(MAYA, timedelta(seconds=68)),
        TalkTime(KIM, timedelta(seconds=38)),
    )
    assert {t.speaker_id: t.total for t in recap.talk_time} == expected


def test_talk_time_ties_are_ordered_by_speaker() -> None:
    phrases = [phrase(9, 0, 5, "One."), phrase(4, 5, 10, "Two.")]
    assert talk_time(phrases) == (TalkTime(4, s(5)), TalkTime(9, s(5)))


def test_the_questions_asked_are_found_with_who_and_when() -> None:
    asked = build_recap(conversation(), FACTS).questions
    assert asked[0] == Question(MAYA, s(22), "How do you pick your kick drum?")
    assert Question(KIM, s(105), "Where do you find vinyl samples that are not already used by everybody?") in asked
    assert Question(KIM, s(221), "Is there a reference track you use for mastering?") in asked
    assert Question(MAYA, s(247), "Who wants to share a beat next week?") in asked
    assert len(asked) == 11
    # The statement half of a two-sentence phrase is not a question; a "What I do is…" statement is not either.
    texts = [q.text for q in asked]
    assert "Let's start with drums." not in texts
    assert not any(t.startswith("What I do") for t in texts)
    assert [q.at for q in asked] == sorted(q.at for q in asked)


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("How do you sidechain the bass", True),  # whisper sometimes drops the question mark
        ("Do you clear samples", True),
        ("Can I ask about mixing", True),
        ("What's your DAW", True),
        ("What I do is chop the samples.", False),
        ("Do that first.", False),
        ("How.", False),
        ("Which one?", True),
        ("", False),
    ],
)
def test_a_question_is_known_by_its_form(sentence: str, question: bool) -> None:
    assert is_question(sentence) is question


def test_key_quotes_are_three_to_five_real_statements_from_the_input_in_time_order() -> None:
    phrases = conversation()
    quotes = build_recap(phrases, FACTS).quotes
    assert 3 <= len(quotes) <= 5
    for quote in quotes:
        source = [p for p in phrases if p.start == quote.at]
        assert len(source) == 1, quote
        assert source[0].speaker_id == quote.speaker_id
        assert quote.text in source[0].text  # cut from what was said, never invented
        assert not is_question(quote.text)
    assert [q.at for q in quotes] == sorted(q.at for q in quotes)
    # The most central line of the talk ranks in: it shares "kick drum", "bass" and "mix" with many others.
    assert any(q.text.startswith("Sidechain compression is how the kick drum and the bass") for q in quotes)


def test_textrank_ranks_the_sentence_that_links_the_others_first() -> None:
    scores = textrank(
        [
            "The kick drum sets the groove.",
            "Tune the kick drum and the bass together so the groove stays clean.",
            "The bass follows the groove.",
            "Lunch was pizza today.",
        ]
    )
    assert scores.index(max(scores)) == 1
    assert scores.index(min(scores)) == 3


def test_chapters_are_timed_keywords_in_time_order() -> None:
    phrases = conversation()
    chapters = build_recap(phrases, FACTS).chapters
    assert 3 <= len(chapters) <= 6
    assert [c.at for c in chapters] == sorted(c.at for c in chapters)
    keywords = [c.keyword.lower() for c in chapters]
    assert {"kick drum", "sidechain compression", "vinyl samples"} <= set(keywords)
    for chapter in chapters:
        first = next(p for p in phrases if chapter.keyword.lower() in p.text.lower())
        assert chapter.at == first.start  # a chapter starts where its keyword is first said
    # Speakers' names are not topics.
    assert not {"dre", "maya", "kim"} & set(keywords)


def test_links_carry_the_pinned_ones_then_urls_said_each_once() -> None:
    phrases = [*conversation(), phrase(KIM, 280, 282, "Link again https://beats.example/pack.")]
    assert build_recap(phrases, FACTS).links == ("https://beats.example/pack", "https://beats.example/upload")


def test_the_recap_is_deterministic_and_ignores_the_order_phrases_arrive_in() -> None:
    phrases = conversation()
    assert build_recap(phrases, FACTS) == build_recap(list(reversed(phrases)), FACTS)


def test_the_recap_renders_as_plain_json_data() -> None:
    data = recap_data(build_recap(conversation(), FACTS))
    assert json.loads(json.dumps(data)) == data
    assert data["duration_s"] == 280.0
    assert data["peak_listeners"] == {"discord": 31, "web": 12}
    assert data["talk_time"] == [
        {"speaker_id": DRE, "seconds": 134.5},
        {"speaker_id": MAYA, "seconds": 68.0},
        {"speaker_id": KIM, "seconds": 38.0},
    ]
    assert {"speaker_id": MAYA, "at_s": 22.0, "text": "How do you pick your kick drum?"} in data["questions"]  # type: ignore[operator]
    assert data["replay_url"] == "https://spaces.example/replay/77"
    assert data["links"] == ["https://beats.example/pack", "https://beats.example/upload"]


def test_an_empty_transcript_gives_the_facts_and_nothing_invented() -> None:
    recap = build_recap([], FACTS)
    assert (recap.talk_time, recap.quotes, recap.questions, recap.chapters) == ((), (), (), ())
    assert recap.links == ("https://beats.example/pack",)
    assert recap_data(recap)["talk_time"] == []


def test_a_one_phrase_transcript() -> None:
    only = phrase(DRE, 3, 9, "Tuning the kick drum to the key keeps the bass clean.")
    recap = build_recap([only], SpaceFacts(duration=s(12)))
    assert recap.talk_time == (TalkTime(DRE, s(6)),)
    assert [q.text for q in recap.quotes] == [only.text]
    assert recap.questions == ()
    assert 1 <= len(recap.chapters) <= 1 and recap.chapters[0].at == s(3)


def test_blank_and_punctuation_only_phrases_are_handled() -> None:
    phrases = [phrase(MAYA, 0, 1, "   "), phrase(KIM, 1, 2, "..."), phrase(DRE, 2, 3, "?")]
    recap = build_recap(phrases, SpaceFacts(duration=s(3)))
    assert recap.quotes == () and recap.chapters == () and recap.questions == ()
    assert recap.talk_time == (TalkTime(MAYA, s(1)), TalkTime(DRE, s(1)), TalkTime(KIM, s(1)))


def test_key_quotes_skip_short_filler() -> None:
    assert key_quotes([phrase(MAYA, 0, 1, "Okay, nice."), phrase(KIM, 1, 2, "Yeah.")]) == ()


def test_a_long_space_whose_topics_were_all_named_early_still_gets_three_chapters() -> None:
    lap = timedelta(seconds=280)
    phrases = [
        Phrase(p.space_id, p.speaker_id, p.start + k * lap, p.end + k * lap, p.text, p.language)
        for k in range(25)
        for p in conversation()
    ]
    chapters = build_recap(phrases, FACTS).chapters
    assert 3 <= len(chapters) <= 6
    assert len({c.at for c in chapters}) == len(chapters)
    assert [c.at for c in chapters] == sorted(c.at for c in chapters)


def test_a_speakers_name_is_never_a_chapter_even_inside_a_keyword() -> None:
    lines = [
        "Welcome back, tonight Dre shows us his drum programming.",
        "Thanks, drum programming starts with the groove.",
        "Ask Dre anything about swing and groove.",
        "Swing is the space between the hits, Dre says.",
        "Later we will hear from Dre about mixing vocals.",
        "Mixing vocals means carving room in the beat.",
        "Give Dre a hand for the mixing vocals tips.",
        "Thank you Dre, we close with mastering loudness.",
        "Mastering loudness is about the limiter.",
    ]
    phrases = [phrase(MAYA, 30 * i, 30 * i + 20, line) for i, line in enumerate(lines)]
    keywords = [c.keyword for c in chapters(phrases)]
    assert len(keywords) >= 3
    assert not any("dre" in k.lower().split() for k in keywords), keywords
    assert "drum programming" in keywords


def test_a_line_said_again_and_again_is_quoted_once() -> None:
    lap = timedelta(seconds=280)
    phrases = [
        Phrase(p.space_id, p.speaker_id, p.start + k * lap, p.end + k * lap, p.text, p.language)
        for k in range(5)
        for p in conversation()
    ]
    quotes = key_quotes(phrases)
    assert 3 <= len(quotes) <= 5
    assert len({q.text for q in quotes}) == len(quotes)
