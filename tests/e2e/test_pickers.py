"""Autocomplete where a member picks something that exists, and `/stage unblock`: what Discord would show in
the picker (the bot's choices, within Discord's limits) and what picking one does."""

from __future__ import annotations

from typing import Any

from demo.world import World
from tests.e2e.conftest import eventually, live_space, start_space

LONG_TITLE = "A very long title for a Space about beats, samples, drums and mixing"  # 68 of the 70 allowed


async def schedule(world: World, host: str, title: str, when: str) -> None:
    record = await world.slash(
        world.chat_id, world[host], "space schedule", title=title, when=when, channel=world.stage_id
    )
    assert "is scheduled" in (record.content or ""), record.content


async def choices(world: World, user: int, path: str, focused: str, channel: int = 0, **typed: Any) -> list[Any]:
    record = await world.server.autocomplete(
        world.guild_id, channel or world.chat_id, user, path, focused, timeout=10.0, **typed
    )
    assert record.response_type == 8, f"no autocomplete answer for /{path} {focused}"
    assert record.choices is not None and len(record.choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and len(str(c["value"])) <= 100 for c in record.choices)
    return record.choices


async def test_a_host_picks_among_their_own_upcoming_spaces(world: World) -> None:
    await schedule(world, "hana", "Beat lab", "in 2h")
    await schedule(world, "hana", LONG_TITLE, "in 5h")
    await schedule(world, "cole", "Cole's jam", "in 3h")

    hana = await choices(world, world["hana"], "space cancel", "title")
    assert [c["value"] for c in hana] == ["Beat lab", LONG_TITLE]  # hers only, soonest first
    assert hana[0]["name"].startswith("Beat lab · ") and hana[0]["name"].endswith(" UTC")
    assert [c["value"] for c in await choices(world, world["hana"], "space cancel", "title", title="LONG")] == [
        LONG_TITLE
    ]
    assert [c["value"] for c in await choices(world, world["hana"], "space reschedule", "title")] == [
        "Beat lab",
        LONG_TITLE,
    ]
    assert await choices(world, world["lee"], "space cancel", "title") == []  # nothing of theirs to pick

    mine = await choices(world, world["hana"], "space sales", "space")
    assert {c["value"] for c in mine} == {"Beat lab", LONG_TITLE}
    admin = await choices(world, world.owner, "space refund", "space")  # an admin may act on any host's
    assert {c["value"] for c in admin} == {"Beat lab", LONG_TITLE, "Cole's jam"}
    assert {c["value"] for c in await choices(world, world["hana"], "space tickets", "space")} == {
        "Beat lab",
        LONG_TITLE,
    }

    picked = await world.slash(world.chat_id, world["hana"], "space cancel", title=hana[1]["value"])
    assert f"**{LONG_TITLE}** is cancelled" in (picked.content or ""), picked.content
    assert [c["value"] for c in await choices(world, world["hana"], "space cancel", "title")] == ["Beat lab"]


async def test_unpin_offers_the_pinned_links_even_one_too_long_for_a_choice(world: World) -> None:
    await start_space(world)
    long_url = "https://example.com/" + "a" * 120
    for url in ("https://example.com/notes", long_url):
        pinned = await world.slash(world.stage_id, world["hana"], "space pin", url=url)
        assert "Pinned" in (pinned.content or ""), pinned.content

    offered = await choices(world, world["hana"], "space unpin", "url", channel=world.stage_id)
    assert offered[0] == {"name": "https://example.com/notes", "value": "https://example.com/notes"}
    assert offered[1]["value"] == "#2" and offered[1]["name"].endswith("…")
    assert await choices(world, world["lee"], "space unpin", "url", channel=world.chat_id) == []  # in no Space

    gone = await world.slash(world.stage_id, world["hana"], "space unpin", url="#2")
    assert f"Unpinned {long_url}" in (gone.content or ""), gone.content
    space = await live_space(world)
    assert space.links == ["https://example.com/notes"]


async def test_unblock_picks_from_the_block_list_and_lets_the_member_back(world: World) -> None:
    await start_space(world)
    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    await eventually(lambda: _present(world, "cole"))
    blocked = await world.slash(world.stage_id, world["hana"], "stage block", member=world["cole"])
    assert "`/stage unblock`" in (blocked.content or ""), blocked.content
    await eventually(lambda: world.server.voice_state(world.guild_id, world["cole"]) is None)

    offered = await choices(world, world["hana"], "stage unblock", "member")
    assert offered == [{"name": "cole (@cole)", "value": str(world["cole"])}]
    assert await choices(world, world["lee"], "stage unblock", "member") == []

    not_blocked = await world.slash(world.stage_id, world["hana"], "stage unblock", member=str(world["lee"]))
    assert "isn't on your block list" in (not_blocked.content or ""), not_blocked.content
    lifted = await world.slash(world.stage_id, world["hana"], "stage unblock", member=offered[0]["value"])
    assert "no longer blocked" in (lifted.content or "") and "can join **Friday AMA** now" in (lifted.content or "")
    assert await choices(world, world["hana"], "stage unblock", "member") == []

    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    await eventually(lambda: _present(world, "cole"))
    assert world.server.voice_state(world.guild_id, world["cole"]) is not None  # not sent away this time


async def _present(world: World, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] in space.present


async def test_time_zones_are_suggested_as_a_member_types(world: World) -> None:
    before = await choices(world, world["lee"], "settings timezone", "zone")
    assert before and "Europe/Berlin" in [c["value"] for c in before]  # common zones before anything is typed
    typed = await choices(world, world["lee"], "settings timezone", "zone", zone="new york")
    assert [c["value"] for c in typed][:1] == ["America/New_York"]
    picked = await world.slash(world.chat_id, world["lee"], "settings timezone", zone=typed[0]["value"])
    assert "America/New_York" in (picked.content or ""), picked.content
