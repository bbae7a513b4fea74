"""The bot across processes: two real bot processes, shards 0 and 1 of 2, on one PostgreSQL database. Each runs
a Space in the guild its shard holds; a Stripe webhook posted to the process that does not hold the guild still
becomes a ticket whose holder gets the role and the receipt (from the owner: the other process has no such guild);
a listen page asked of the wrong process reaches the owner; and a second process for a held shard waits, then
takes over when the first stops, with one gateway login per process started."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import asyncpg
import pytest

from demo.world import World, eventually
from tests.e2e.conftest import configure
from tests.e2e.shards_support import BotProcess, Cluster, cluster
from tests.e2e.test_web_listen import WebListener
from tests.e2e.tickets_support import buy, dms, go_live, has_role, schedule, sell

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(400)]


async def start_space(world: World, title: str) -> None:
    await world.server.join_voice(world.guild_id, world["hana"], world.stage_id)
    record = await world.slash(world.stage_id, world["hana"], "space start", title=title, topics="music")
    assert "live" in (record.content or "").lower(), record.content
    await eventually(lambda: world.server.stage_instance(world.stage_id) is not None)


async def live_space_id(made: Cluster, world: World) -> str:
    conn = await asyncpg.connect(made.database_url)
    try:
        found = await conn.fetchval("SELECT id FROM spaces WHERE guild_id = $1 AND state = 'live'", world.guild_id)
    finally:
        await conn.close()
    assert found is not None, "no live Space in that guild"
    return str(found)


async def page_status(url: str, wanted: int) -> bool:
    """Whether the page answers `wanted` without following redirects (the owner's room exists once the bot
    has joined the Stage, a moment after the Space went live)."""
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as page:
        return page.status == wanted


async def two_processes(made: Cluster) -> tuple[BotProcess, BotProcess]:
    zero, one = await made.spawn("shard0", "0"), await made.spawn("shard1", "1")
    await made.ready(zero)
    await made.ready(one)
    return zero, one


async def test_two_shards_each_run_a_space_and_a_webhook_at_the_wrong_one_is_a_ticket(tmp_path: Path) -> None:
    async with cluster(tmp_path) as made:
        zero, one = await two_processes(made)
        ours, theirs = made.worlds
        await start_space(ours, "Shard zero live")
        await start_space(theirs, "Shard one live")
        # Each Space's audio is at the process holding its guild, which serves its page; the other redirects.
        for process, other, world in ((zero, one, ours), (one, zero, theirs)):
            space_id = await live_space_id(made, world)
            await eventually(lambda p=process, s=space_id: page_status(f"{p.web}/spaces/{s}", 200), timeout=20)
            assert await page_status(f"{other.web}/spaces/{space_id}", 307)

        # Stripe's endpoint is the process that does NOT hold the ticketed Space's guild (shard 0's).
        made.stripe.add_webhook_endpoint(f"{one.web}/stripe/webhook", secret=made.webhook_secret)
        await configure(ours, feed_channel=ours.feed_id)
        await schedule(ours, when="in 1h")
        await sell(ours, price=5)
        await made.stripe.pay(await buy(ours, "cole"))

        await eventually(lambda: has_role(ours, "cole"), timeout=20)
        await eventually(lambda: bool(dms(ours, "cole", "Your ticket for")), timeout=20)
        delivered = [d for d in made.stripe.deliveries if d.event_type == "checkout.session.completed"]
        assert [d.status for d in delivered] == [200]
        assert one.said("mailed to its process")  # the webhook's process left the follow-up to shard 0's
        assert len(dms(ours, "cole", "Your ticket for")) == 1


async def test_start_now_pressed_in_a_dm_opens_the_space_at_its_guilds_process(tmp_path: Path) -> None:
    """Discord sends DMs, and the presses of their buttons, to shard 0: Start now for shard 1's guild reaches the
    process that does not hold that guild, which has the owner open it."""
    async with cluster(tmp_path) as made:
        zero, _ = await two_processes(made)
        theirs = made.worlds[1]
        await configure(theirs, feed_channel=theirs.feed_id)
        await schedule(theirs, when="in 2s")
        await go_live(theirs)  # the prompt's DM, the press, "You're live", the Stage instance on shard 1's guild
        assert zero.said("opened by the process holding its server's shard")  # the press reached shard 0's
        assert await live_space_id(made, theirs)


async def test_a_listen_page_asked_of_the_wrong_process_reaches_the_owner(tmp_path: Path) -> None:
    async with cluster(tmp_path) as made:
        zero, one = await two_processes(made)
        ours = made.worlds[0]
        await start_space(ours, "Shard zero live")
        space_id = await live_space_id(made, ours)
        await eventually(lambda: page_status(f"{zero.web}/spaces/{space_id}", 200), timeout=20)  # its audio is up

        async with aiohttp.ClientSession() as http, http.get(f"{one.web}/spaces/{space_id}") as page:
            assert page.status == 200
            assert str(page.url) == f"{zero.web}/spaces/{space_id}"  # redirected to the owner
            assert [r.status for r in page.history] == [307]
        listener = WebListener()
        try:
            await listener.connect(f"{one.web}/spaces/{space_id}/offer")  # the offer follows the 307 too
        finally:
            await listener.pc.close()


async def test_a_second_process_for_a_held_shard_waits_then_takes_over(tmp_path: Path) -> None:
    async with cluster(tmp_path) as made:
        zero, _ = await two_processes(made)
        ours = made.worlds[0]
        assert made.server.hub.identifies[made.account.token] == 2

        replacement = await made.spawn("shard0-new", "0")
        await eventually(lambda: replacement.said("shard 0 is held by another process"), timeout=120)
        assert made.server.hub.identifies[made.account.token] == 2  # it has not logged in beside the old one

        await zero.stop()  # the deploy stops the old process
        await made.ready(replacement)
        assert replacement.said("holding shard 0 of 2 (taken over)")
        record = await ours.slash(ours.chat_id, ours["hana"], "help")
        assert record.responded, "the new process answers shard 0's guild"
        assert record.content or record.embeds
        assert made.server.hub.identifies[made.account.token] == 3  # one login per process started, no more
