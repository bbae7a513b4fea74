"""The recap embed: built from a real recap of real phrases it names the speakers, quotes, questions and chapters
with their times; whatever members said is escaped; the longest inputs stay within Discord's limits, cut on whole
items with how many more; a Space without a transcript gets a recap only when it adds to the ended card."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import discord

from bot.recap.render import ITEM_CHARS, NO_TRANSCRIPT, REPLAY_HINT, clock, recap_embed
from spaces_core.domain.rules import MAX_LINKS, MAX_TITLE, MAX_URL
from spaces_core.domain.space import Space
from spaces_core.domain.transcripts import Phrase
from spaces_core.recap import Chapter, Question, Quote, Recap, SpaceFacts, TalkTime, build_recap
from tests.discord_limits import discord_refusals
from tests.unit.builders import NOW
from tests.unit.recap_conversation import DRE, KIM, MAYA, SPACE_ID, conversation

SNOWFLAKE = 1_579_326_123_962_138_636


def ended_space(title: str = "Beat club") -> Space:
    space, _ = Space.open(
        space_id=SPACE_ID, guild_id=SNOWFLAKE, channel_id=SNOWFLAKE + 1, host_id=MAYA, title=title, topics="", now=NOW
    )
    space.end(None, NOW + timedelta(minutes=5))
    return space


def facts(**changes: Any) -> SpaceFacts:
    values: dict[str, Any] = {"duration": timedelta(minutes=4, seconds=36), "peak_listeners_discord": 9}
    return SpaceFacts(**(values | changes))


def fields(embed: discord.Embed) -> dict[str, str]:
    return {str(f.name): str(f.value) for f in embed.fields}


def refusals(embed: discord.Embed) -> list[str]:
    return discord_refusals({"embeds": [embed.to_dict()]})


def test_a_real_recap_names_speakers_quotes_questions_and_chapters_with_their_times() -> None:
    recap = build_recap(conversation(), facts(peak_listeners_web=3, pinned_links=("https://beats.example/pack",)))
    embed = recap_embed(ended_space(), recap, replay=True)
    assert embed is not None and refusals(embed) == []
    shown = fields(embed)
    assert list(shown) == ["Talk time", "Key quotes", "Questions asked", "Chapters", "Links shared"]
    assert [line.split()[0] for line in shown["Talk time"].splitlines()] == [f"<@{DRE}>", f"<@{MAYA}>", f"<@{KIM}>"]
    quotes = shown["Key quotes"].splitlines()
    assert len(quotes) == len(recap.quotes) and 3 <= len(quotes) <= 5
    for quote, line in zip(recap.quotes, quotes, strict=True):
        assert line == f"“{discord.utils.escape_markdown(quote.text)}” — <@{quote.speaker_id}> at {clock(quote.at)}"
    assert f"<@{KIM}> at 0:46: Wait, do you tune every drum sample or only the kick?" in shown["Questions asked"]
    assert len(shown["Questions asked"].splitlines()) == len(recap.questions)
    assert [line.split(" ", 1)[0] for line in shown["Chapters"].splitlines()] == [
        f"`{clock(c.at)}`" for c in recap.chapters
    ]
    assert "beats.example/pack" in shown["Links shared"] and "beats.example/upload" in shown["Links shared"]
    description = embed.description or ""
    assert "4 min 36 s" in description and "9 on Discord" in description and "3 on the web" in description
    assert REPLAY_HINT in description and NO_TRANSCRIPT not in description


def test_what_members_said_and_typed_is_escaped() -> None:
    said = "So **this** is _the_ `best` ~~trick~~ for > quoting the kick drum, trust me on this one."
    phrases = [
        Phrase("s", MAYA, timedelta(seconds=i * 10), timedelta(seconds=i * 10 + 5), f"{said} Number {i}.", "en")
        for i in range(4)
    ]
    phrases.append(Phrase("s", KIM, timedelta(seconds=50), timedelta(seconds=55), "Is **bold** @everyone okay?", "en"))
    embed = recap_embed(ended_space("**Loud** _title_"), build_recap(phrases, facts()), replay=False)
    assert embed is not None
    shown = fields(embed)
    assert embed.title == "Recap · \\*\\*Loud\\*\\* \\_title\\_"
    assert "\\*\\*this\\*\\* is \\_the\\_ \\`best\\` \\~\\~trick\\~\\~" in shown["Key quotes"]
    assert "**this**" not in shown["Key quotes"]
    assert "\\*\\*bold\\*\\* @\u200beveryone" in shown["Questions asked"]


def test_the_longest_inputs_fit_and_are_cut_on_whole_items() -> None:
    long_text = ("word " * 200).strip()
    minutes = [timedelta(minutes=i) for i in range(300)]
    recap = Recap(
        facts=facts(
            duration=timedelta(hours=5),
            peak_listeners_web=1000,
            pinned_links=tuple(f"https://example.com/{i}/(x)?" + "q" * (MAX_URL - 30) for i in range(MAX_LINKS)),
        ),
        talk_time=tuple(TalkTime(SNOWFLAKE + i, timedelta(minutes=300 - i)) for i in range(120)),
        quotes=tuple(Quote(SNOWFLAKE + i, minutes[i], long_text) for i in range(5)),
        questions=tuple(Question(SNOWFLAKE + i, minutes[i], long_text + "?") for i in range(300)),
        chapters=tuple(Chapter("k" * 100, minutes[i]) for i in range(6)),
        links=tuple(f"https://example.com/said/{i}" for i in range(200)),
    )
    embed = recap_embed(ended_space("T" * MAX_TITLE), recap, replay=True)
    assert embed is not None and refusals(embed) == []
    shown = fields(embed)
    for name, total in [("Talk time", 120), ("Questions asked", 300), ("Links shared", 200)]:
        *items, more = shown[name].splitlines()
        assert more == f"…and {total - len(items)} more", name
        assert items, f"{name}: at least one item shown"
    for line in shown["Questions asked"].splitlines()[:-1]:
        assert re.fullmatch(rf"<@\d+> at \d+:\d\d: (word ){{{ITEM_CHARS // 5 - 2},}}word…", line), line
    for line in shown["Links shared"].splitlines()[:-1]:
        assert re.fullmatch(r"\[example\.com/said/\d+\]\(<https://example\.com/said/\d+>\)", line), line
    assert len(shown["Chapters"].splitlines()) == 6, "short lists are whole"


def test_without_a_transcript_a_recap_only_when_it_adds_to_the_ended_card() -> None:
    space = ended_space()
    assert recap_embed(space, build_recap([], facts()), replay=False) is None
    for extra, replay in [({"peak_listeners_web": 2}, False), ({"pinned_links": ("https://a.example",)}, False)]:
        embed = recap_embed(space, build_recap([], facts(**extra)), replay=replay)
        assert embed is not None and NO_TRANSCRIPT in (embed.description or "")
    embed = recap_embed(space, build_recap([], facts()), replay=True)
    assert embed is not None and REPLAY_HINT in (embed.description or "")
    assert "Talk time" not in fields(embed)
