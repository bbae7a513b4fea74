"""Search hits as Discord shows them: the words found in bold, what was said escaped (no markdown, mention,
heading or link of a member's making), a long phrase cut around the words found, and the largest answer (every
hit as long as it can be, with its replay link) within what Discord accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.transcripts.cog import file_stem
from bot.transcripts.render import SHOWN_HITS, ShownHit, clock, hits_embed, no_hits, plain, snippet
from spaces_core.domain.rules import MAX_TITLE
from tests.discord_limits import discord_refusals

LINK = "https://spaces.example.com/replays/" + "a" * 32 + "?token=replay." + "a" * 32 + ".1579326123962138636."
LINK += "1796707840." + "f" * 64 + "&t=35999"


def hit(text: str, *, title: str = "Friday jam", speaker: str = "hana", link: str | None = None) -> ShownHit:
    at = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    return ShownHit(title, speaker, timedelta(seconds=75), at, text, link)


def test_the_words_found_are_bold_and_the_rest_is_plain_text() -> None:
    assert snippet("Who brought the drum machine?", "drum mach") == "Who brought the **drum** **machine**?"
    assert snippet("*Bold* claims about <@123> and @everyone", "claims") == (
        "\\*Bold\\* **claims** about \\<@\u200b123> and @\u200beveryone"
    )
    assert snippet("[click](https://evil.example) drum", "drum") == "\\[click](https://evil.example) **drum**"
    assert plain("# not a heading") == "\\# not a heading" and plain("> no quote") == "\\> no quote"
    assert plain("-# small") == "\\-# small"
    assert snippet("nothing matches here", "drum") == "nothing matches here"


def test_a_long_phrase_is_cut_around_the_first_word_found() -> None:
    text = "lorem " * 60 + "the drum machine" + " ipsum" * 60
    cut = snippet(text, "drum")
    assert cut.startswith("…") and cut.endswith("…") and "**drum**" in cut
    assert len(cut) < 200


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0:00"), (75, "1:15"), (3600, "1:00:00"), (36_061, "10:01:01")])
def test_times_read_as_a_player_shows_them(seconds: int, shown: str) -> None:
    assert clock(timedelta(seconds=seconds)) == shown


def test_the_largest_answer_fits_discord() -> None:
    words = " ".join(["drum"] * 200)  # every word a hit: bold everywhere
    hits = [hit(words, title="T" * MAX_TITLE, speaker="N" * 32, link=LINK) for _ in range(30)]
    embed = hits_embed("drum " * 400, hits)
    assert discord_refusals({"embeds": [embed.to_dict()]}) == []
    assert embed.description is not None and embed.description.count("\n> ") <= SHOWN_HITS
    assert "more." in embed.description  # the ones left out are counted
    assert embed.footer.text is not None and "▶" in embed.footer.text


def test_no_hits_names_what_was_searched_as_typed() -> None:
    assert no_hits("  drum *machine*  ") == "Nothing said in this server's past Spaces matches “drum \\*machine\\*”."
    assert len(no_hits("x" * 5000)) < 300


def test_a_files_name_comes_from_the_title() -> None:
    assert file_stem("Friday AMA: beats & samples!") == "Friday-AMA-beats-samples"
    assert file_stem("🎧🎧") == "transcript"
    assert file_stem("../../etc/passwd") == "etcpasswd"
