"""Host analytics with the real bot: a Space runs for a few sampling intervals (0.2 s here) with listeners
joining, hands raised and lowered, reactions and a speaker talking; `/space stats` answers its host, a co-host and
the server's owner (an admin) with the chart and a private page, and refuses a listener. The data behind the chart
is checked, not its pixels."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from demo.world import World, open_world
from sandbox.speech import encode_opus, tone
from spaces_core.domain.roles import Actor
from tests.e2e.conftest import configure, eventually, live_space, start_space


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        await w.start_bot(recordings_dir=str(tmp_path / "recordings"), stats_interval=0.2)
        await configure(w, feed_channel=w.feed_id)
        yield w
    finally:
        await w.close()


async def chart_now(world: World, space_id: str) -> Any:
    return (await world.bot.bot.app.stats.service.view(space_id, Actor(world["hana"]), world.guild_id)).chart


async def raise_and(world: World, name: str, decision: str) -> None:
    await world.server.raise_hand(world.guild_id, world[name])
    await eventually(lambda: _in(world, "queue", name))
    await world.slash(world.stage_id, world["hana"], f"stage {decision}", member=world[name])
    await eventually(lambda: _not_in(world, "queue", name))


async def _in(world: World, field: str, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] in getattr(space, field)


async def _not_in(world: World, field: str, name: str) -> bool:
    return not await _in(world, field, name)


async def run_a_space(world: World) -> Any:
    """Three listeners; Cole's hand approved, Lee's denied; two reactions; Hana talks for a second."""
    await start_space(world)
    space = await live_space(world)
    for name in ("cole", "lee", "maya"):
        await world.server.join_voice(world.guild_id, world[name], world.stage_id)
    # A sample with all three listening before anyone is brought up (what the peak asserted below needs).
    await eventually(lambda: _latest(world, space.id, lambda c: c.discord[-1] == 3))
    await raise_and(world, "cole", "approve")
    await raise_and(world, "lee", "deny")
    card = next(m for m in world.server.messages(world.stage_id) if m.get("components"))
    react = next(c["custom_id"] for r in card["components"] for c in r["components"] if "react" in c["custom_id"])
    for _ in range(2):
        await world.server.click(world["maya"], card["id"], react)
    await eventually(lambda: world.bot.bot.app.audio.get(space.id) is not None)
    await world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 1.0)))
    await eventually(lambda: _latest(world, space.id, lambda c: sum(v[-1] for v in c.reactions.values()) == 2))
    await eventually(lambda: _latest(world, space.id, lambda c: c.talk_seconds.get(world["hana"], 0) > 0.5))
    return space


async def _latest(world: World, space_id: str, holds: Any) -> bool:
    chart = await chart_now(world, space_id)
    return bool(chart.minutes) and bool(holds(chart))


async def test_the_host_gets_the_chart_and_its_data_a_listener_is_refused_a_cohost_is_not(world: World) -> None:
    space = await run_a_space(world)
    answer = await world.slash(world.stage_id, world["hana"], "space stats")
    assert answer.ephemeral, answer.content
    assert [a["filename"] for a in answer.message["attachments"]] == ["space-stats.png"]
    chart = await chart_now(world, space.id)
    n = len(chart.minutes)
    assert n >= 3 and len(chart.discord) == len(chart.web) == len(chart.hands) == len(chart.speakers) == n
    assert chart.minutes == sorted(chart.minutes)
    assert chart.listeners == [d + w for d, w in zip(chart.discord, chart.web, strict=True)]
    assert max(chart.listeners) == 3 and chart.discord[-1] == 2, "Maya and Lee listen at the end"
    assert max(chart.hands) <= 1 and chart.speakers[-1] == 2
    assert [values[-1] for values in chart.reactions.values()] == [2]
    assert chart.waits == 2 and chart.wait_longest is not None and chart.wait_median is not None
    async with world.bot.bot.app.stats.service._uow_factory() as uow:  # the two stored waits, as the chart reads them
        seconds = sorted(w.seconds for w in await uow.stats.waits(space.id))
    assert chart.wait_median == pytest.approx(sum(seconds) / 2) and chart.wait_longest == seconds[-1]
    assert list(chart.talk_seconds) == [world["hana"]], "Cole was approved but never spoke"
    assert "Peak listeners: 3" in answer.content and "hands lowered: 2" in answer.content

    picked = await world.server.autocomplete(
        world.guild_id, world.chat_id, world["hana"], "space stats", "space", space=""
    )
    assert [c["value"] for c in picked.choices or []] == [space.id]
    offered = await world.server.autocomplete(
        world.guild_id, world.chat_id, world["maya"], "space stats", "space", space=""
    )
    assert offered.choices == [], "a listener is offered none"
    refused = await world.slash(world.stage_id, world["maya"], "space stats", space=space.id)
    assert refused.ephemeral and "Only the host and co-hosts" in refused.content
    assert not (refused.message or {}).get("attachments")
    await world.slash(world.stage_id, world["hana"], "cohost add", member=world["lee"])
    await eventually(lambda: _in(world, "cohosts", "lee"))
    allowed = await world.slash(world.stage_id, world["lee"], "space stats")
    assert [a["filename"] for a in allowed.message["attachments"]] == ["space-stats.png"], allowed.content
    admin = await world.slash(world.chat_id, world.owner, "space stats", space=space.id)
    assert [a["filename"] for a in admin.message["attachments"]] == ["space-stats.png"], admin.content

    link = re.search(r"https?://\S+/stats/\S+", answer.content)
    assert link is not None, answer.content
    async with aiohttp.ClientSession() as http:
        async with http.get(link.group(0)) as page:
            text = await page.text()
            assert page.status == 200 and "Your Spaces" in text and "Friday AMA" in text
            assert 'aria-current="page"' in text and "prefers-color-scheme: dark" in text
        chart_url = link.group(0).replace("?token=", "/chart.png?token=")
        async with http.get(chart_url) as image:
            assert image.status == 200 and image.content_type == "image/png"
            assert (await image.read()).startswith(b"\x89PNG")
        forged = link.group(0)[:-4] + ("0000" if not link.group(0).endswith("0000") else "1111")
        async with http.get(forged) as bad:
            text = await bad.text()
            assert bad.status == 403 and "/space stats" in text and "<style>" in text
