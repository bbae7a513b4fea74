"""A ticketed Space after its end is for the members who could hear it live: a stranger's `/space replay` is refused
(no file, no link) and so is its recap on the web without a holder's personal link; a ticket holder and the host
get them."""

from __future__ import annotations

import aiohttp

from demo.world import World
from tests.e2e.conftest import eventually, live_space
from tests.e2e.test_recording import record, replay_link, speak
from tests.e2e.tickets_support import live_with_a_holder


async def test_a_ticketed_spaces_replay_is_refused_to_a_stranger_and_given_to_a_holder(ticket_world: World) -> None:
    world = ticket_world
    await live_with_a_holder(world, "cole")
    space = await live_space(world)
    await record(world, "hana", "on")
    await speak(world, {"hana": 440}, 1.0)
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: world.bot.bot.app.audio.get(space.id) is None)

    stranger = await world.slash(world.stage_id, world["lee"], "space replay")
    assert stranger.ephemeral and "could hear it live" in (stranger.content or ""), stranger.content
    assert "/replays/" not in (stranger.content or "")
    assert not stranger.message or not stranger.message.get("attachments")
    for name in ("cole", "hana"):  # a holder, the host
        answer = await world.slash(world.stage_id, world[name], "space replay")
        assert replay_link(answer.content or ""), answer.content


async def test_a_ticketed_spaces_recap_on_the_web_needs_the_holders_personal_link(ticket_world: World) -> None:
    world = ticket_world
    await live_with_a_holder(world, "cole")
    space = await live_space(world)
    web = world.bot.bot.app.web
    personal = web.personal_url(space.id, world["cole"])
    assert personal is not None and "ticket=" in personal
    await world.slash(world.stage_id, world["hana"], "space end")
    url = f"{web.base_url}/spaces/{space.id}/recap.json"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as stranger:
            assert stranger.status == 403 and "personal link" in await stranger.text()
        async with http.get(url + "?" + personal.split("?", 1)[1]) as holder:
            assert holder.status == 200 and (await holder.json())["title"] == space.title
