"""Opening and ending a Space, as a host and the members see it; bad input refused with nothing changed."""

from __future__ import annotations

from typing import Any

from demo.world import BOT_PERMISSIONS, MUTE_MEMBERS, open_world
from tests.e2e.conftest import eventually, live_space, start_space, voice


def cards(world: Any, channel_id: int) -> list[dict[str, Any]]:
    return [m for m in world.server.messages(channel_id) if m.get("embeds")]


async def test_start_opens_the_stage_brings_the_host_up_and_posts_cards(world):
    record: Any = await start_space(world)
    assert record.ephemeral
    assert "live" in record.content
    instance = world.server.stage_instance(world.stage_id)
    assert instance is not None and instance["topic"] == "Friday AMA"
    await eventually(lambda: voice(world, "hana")["suppress"] is False)
    stage_card = cards(world, world.stage_id)[0]["embeds"][0]
    assert stage_card["title"] == "🔴 LIVE · Friday AMA"
    assert "`music` · `production`" in stage_card["description"]
    assert any(f["name"] == "Host" and str(world["hana"]) in f["value"] for f in stage_card["fields"])
    await eventually(
        lambda: any("Live now" in str(e.get("title")) for m in cards(world, world.feed_id) for e in m["embeds"])
    )
    labels = [c.get("label") for row in cards(world, world.stage_id)[0]["components"] for c in row["components"]]
    assert {"Request to speak", "Follow host", "Share"} <= set(labels)


async def test_listeners_join_and_the_card_counts_them(world):
    await start_space(world)
    for name in ("cole", "lee", "maya"):
        await world.server.join_voice(world.guild_id, world[name], world.stage_id)
    await eventually(lambda: _field(cards(world, world.stage_id)[0], "Listeners") == "3")
    assert voice(world, "cole")["suppress"] is True


async def test_end_turns_the_card_into_a_summary_and_closes_the_stage(world):
    await start_space(world)
    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    # The peak asserted below is the bot's count: end only once it has counted Cole (the card shows it).
    await eventually(lambda: _field(cards(world, world.stage_id)[0], "Listeners") == "1")
    record: Any = await world.slash(world.stage_id, world["hana"], "space end")
    assert "ended" in record.content
    await eventually(lambda: world.server.stage_instance(world.stage_id) is None)
    await eventually(lambda: cards(world, world.stage_id)[0]["embeds"][0]["title"] == "Ended · Friday AMA")
    summary = cards(world, world.stage_id)[0]
    assert _field(summary, "Peak listeners") == "1"
    assert str(world["hana"]) in _field(summary, "Who spoke")
    assert not summary.get("components")


async def test_listener_cannot_end_or_moderate(world):
    await start_space(world)
    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)
    record: Any = await world.slash(world.stage_id, world["cole"], "space end")
    assert record.ephemeral and "host" in record.content.lower()
    record = await world.slash(world.stage_id, world["cole"], "stage remove", member=world["lee"])
    assert record.ephemeral and "only" in record.content.lower()
    assert world.server.stage_instance(world.stage_id) is not None
    assert world.server.voice_state(world.guild_id, world["lee"]) is not None
    space = await live_space(world)
    assert space is not None and space.host_id == world["hana"]


async def test_bad_titles_and_topics_are_refused_and_nothing_opens(world):
    record: Any = await start_space(world, title="x" * 83)
    assert record.ephemeral and "70" in record.content
    record = await world.slash(world.stage_id, world["hana"], "space start", title="Ok", topics="a, b, c, d")
    assert record.ephemeral and "3" in record.content
    assert world.server.stage_instance(world.stage_id) is None
    assert await live_space(world) is None


async def test_a_voice_or_text_channel_is_not_a_stage_on_a_community_server(world):
    record: Any = await world.slash(world.chat_id, world["hana"], "space start", title="AMA", channel=world.voice_id)
    assert record.ephemeral and "Stage" in record.content
    assert await world.bot.bot.app.spaces.live_of_host(world["hana"]) is None


async def test_a_host_already_live_cannot_start_a_second_space(world):
    await start_space(world)
    second = world.server.add_stage_channel(world.guild_id, "Second Stage")
    await world.server.wait_for(lambda: world.bot.bot.get_channel(second) is not None)
    record: Any = await world.slash(world.chat_id, world["hana"], "space start", title="Another", channel=second)
    assert record.ephemeral and f"already hosting a live Space in <#{world.stage_id}>." in record.content
    assert world.server.stage_instance(second) is None


async def test_mentions_in_a_title_never_ping(world):
    await start_space(world, title="@everyone come <@&1>")
    for message in world.server.messages(world.stage_id) + world.server.messages(world.feed_id):
        mentions = message.get("allowed_mentions")
        assert mentions is not None and mentions.get("parse") == [], message
    card = cards(world, world.stage_id)[0]["embeds"][0]
    assert "@everyone" in card["title"]


async def test_eligibility_rule_refuses_a_host_without_enough_followers(world):
    from tests.e2e.conftest import configure

    await configure(world, min_followers=2)
    record: Any = await start_space(world)
    assert record.ephemeral and "2 followers" in record.content
    assert world.server.stage_instance(world.stage_id) is None
    await world.slash(world.chat_id, world["cole"], "follow", host=world["hana"])
    await world.slash(world.chat_id, world["lee"], "follow", host=world["hana"])
    record = await world.slash(world.stage_id, world["hana"], "space start", title="Now")
    assert "live" in record.content


async def test_missing_bot_permissions_are_named(tmp_path):
    world = await open_world(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", bot_permissions=BOT_PERMISSIONS & ~MUTE_MEMBERS
    )
    try:
        await world.start_bot()
        record: Any = await start_space(world)
        assert record.ephemeral and "Mute Members" in record.content
        assert world.server.stage_instance(world.stage_id) is None
    finally:
        await world.close()


def _field(message: dict[str, Any], name: str) -> str:
    for field in message["embeds"][0]["fields"]:
        if field["name"] == name:
            return str(field["value"])
    return ""


async def test_without_a_channel_a_new_stage_is_created_in_the_configured_category(world):
    from tests.e2e.conftest import configure

    category = world.server.add_category(world.guild_id, "Spaces")
    await world.server.wait_for(lambda: world.bot.bot.get_channel(category) is not None)
    await configure(world, stage_category=category)
    record: Any = await world.slash(world.chat_id, world["hana"], "space start", title="Pop-up Q&A")
    assert "live" in record.content
    space = await world.bot.bot.app.spaces.live_of_host(world["hana"])
    created = world.server.guild(world.guild_id).channels[space.channel_id]
    assert created.type == 13
    assert created.parent_id == category
    assert world.server.stage_instance(space.channel_id)["topic"] == "Pop-up Q&A"


async def test_reactions_are_tallied_on_the_card_and_share_gives_the_link(world):
    await start_space(world)
    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    await eventually(lambda: _field(cards(world, world.stage_id)[0], "Listeners") == "1")
    card = cards(world, world.stage_id)[0]
    buttons = {c["custom_id"]: c for row in card["components"] for c in row["components"]}
    react = next(cid for cid in buttons if cid.startswith("sp:react:"))
    share = next(cid for cid in buttons if cid.startswith("sp:share:"))
    for _ in range(2):
        await world.server.click(world["cole"], card["id"], react)
    await eventually(lambda: "2" in _field(cards(world, world.stage_id)[0], "Reactions"))
    record: Any = await world.server.click(world["cole"], card["id"], share)
    assert record.ephemeral
    assert f"https://discord.com/channels/{world.guild_id}/{world.stage_id}" in record.content
