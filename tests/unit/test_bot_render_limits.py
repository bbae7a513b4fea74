"""Rendered at their largest, the card, `/space upcoming` and `/space panel` stay within what Discord accepts."""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.limits import fit_lines
from bot.schedules.render import upcoming_text
from bot.spaces.embeds import card_embed
from bot.spaces.views import approval_view, panel_text
from spaces_core.domain.rules import ALLOWED_REACTIONS, MAX_LINKS, MAX_TITLE, MAX_URL
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space
from tests.discord_limits import discord_refusals
from tests.unit.builders import NOW

SNOWFLAKE = 1_579_326_123_962_138_636  # as long as Discord's ids are today


def long_url(index: int) -> str:
    head = f"https://example.com/{index}/(docs)/page?q="
    return head + "x" * (MAX_URL - len(head))


def crowded_space() -> Space:
    space, _ = Space.open(
        space_id="a" * 32,
        guild_id=SNOWFLAKE,
        channel_id=SNOWFLAKE + 1,
        host_id=SNOWFLAKE + 2,
        title="T" * MAX_TITLE,
        topics=", ".join(["p" * 30] * 3),
        now=NOW,
    )
    space.cohosts = [SNOWFLAKE + 3, SNOWFLAKE + 4]
    space.speakers = [SNOWFLAKE + 10 + i for i in range(20)]
    space.queue = [SNOWFLAKE + 100 + i for i in range(85)]
    space.links = [long_url(i) for i in range(MAX_LINKS)]
    space.reactions = dict.fromkeys(ALLOWED_REACTIONS, 12345)
    space.recording = True
    return space


def test_a_card_with_five_of_the_longest_links_fits_and_keeps_every_link() -> None:
    embed = card_embed(crowded_space()).to_dict()
    assert discord_refusals({"embeds": [embed]}) == []
    values = "\n".join(f["value"] for f in embed.get("fields", []) if f["name"] in ("Pinned links", "\u200b"))
    for index in range(MAX_LINKS):
        shown = long_url(index).replace("(", "%28").replace(")", "%29")
        assert f"(<{shown}>)" in values, f"link {index} is not on the card"
    assert "[example.com/0/(docs)/page…](" in values  # what members read: where it goes, shortened


def test_short_links_share_one_field() -> None:
    space = crowded_space()
    space.links = ["https://example.com/a", "https://example.org/b/"]
    fields = [f for f in card_embed(space).to_dict()["fields"] if f["name"] == "Pinned links"]
    assert [f["value"] for f in fields] == [
        "[example.com/a](<https://example.com/a>)\n[example.org/b](<https://example.org/b/>)"
    ]


def test_fit_lines_keeps_whole_lines_and_counts_the_rest() -> None:
    assert fit_lines("H", ["a", "b"]) == "H\na\nb"
    assert fit_lines("H", ["a", "b", "c"], most=2) == "H\na\nb\n…and 1 more."
    cut = fit_lines("H", ["x" * 10] * 30, limit=60)
    assert len(cut) <= 60 and cut.endswith("more.")
    shown = cut.count("x" * 10)
    assert cut.endswith(f"…and {30 - shown} more.") and shown > 0


def scheduled(index: int) -> ScheduledSpace:
    return ScheduledSpace(
        id=f"{index:032x}",
        guild_id=SNOWFLAKE,
        channel_id=SNOWFLAKE + 1,
        host_id=SNOWFLAKE + 2 + index % 2,
        title=f"{index:02d} " + "A long and descriptive title for a Space " + "y" * 25,
        topics=(),
        starts_at=NOW + timedelta(hours=index + 1),
        created_at=NOW,
    )


def test_fifteen_upcoming_spaces_with_long_titles_fit_in_one_message() -> None:
    text = upcoming_text([scheduled(i) for i in range(17)], followed={SNOWFLAKE + 2})
    assert len(text) <= 2000, len(text)
    listed = text.count("<t:") // 2
    assert 0 < listed < 15
    assert text.endswith(f"…and {17 - listed} more.")


def test_few_upcoming_spaces_are_all_listed() -> None:
    text = upcoming_text([scheduled(i) for i in range(3)], followed=set())
    assert text.count("**0") == 3 and "more" not in text


def test_the_panel_with_85_raised_hands_fits_and_every_hand_can_be_reached() -> None:
    space = crowded_space()
    names = {uid: "N" * 32 for uid in space.queue}  # Discord's longest display names
    view = approval_view(space, names)
    message = {"content": panel_text(space), "components": view.to_components()}
    assert discord_refusals(message) == []
    assert message["content"].startswith("**Raised hands** (first come, first served), 85 waiting:")
    assert message["content"].endswith("more.")
    rows = message["components"]
    approves = [c["custom_id"] for row in rows[:4] for c in row["components"] if c["custom_id"].startswith("sp:ok:")]
    assert approves == [f"sp:ok:{space.id}:{uid}" for uid in space.queue[:4]]
    for row in rows[:4]:  # each hand's Approve beside its own Deny
        assert [c["custom_id"].split(":")[1] for c in row["components"]] == ["ok", "no"]
        assert row["components"][0]["custom_id"].split(":")[3] == row["components"][1]["custom_id"].split(":")[3]
    menu = rows[4]["components"][0]
    assert menu["type"] == discord.ComponentType.select.value
    assert [o["value"] for o in menu["options"]] == [str(uid) for uid in space.queue[4:29]]
    assert menu["options"][0]["label"].startswith("5. NNN")
