"""Access to a ticketed Space: the Stage closes to all but holders, host and moderators when it goes live (a
member without a ticket cannot join, one already there is moved out and told how to buy), gating survives a
restart, it is lifted when the Space ends; personal listen links for the web page."""

from __future__ import annotations

import aiohttp
import pytest

from demo.world import World, eventually
from sandbox import ConnectRefused
from sandbox.permissions import CONNECT
from tests.e2e.tickets_support import (
    buy,
    dms,
    go_live,
    has_role,
    schedule,
    sell,
    stripe_of,
)


async def _holder(world: World, name: str) -> None:
    await stripe_of(world).pay(await buy(world, name))
    await eventually(lambda: has_role(world, name))


def _connect_overwrites(world: World) -> dict[int, tuple[int, int]]:
    channel = world.server.guild(world.guild_id).channels[world.stage_id]
    return {o.id: (o.allow, o.deny) for o in channel.overwrites.values()}


async def test_only_holders_host_and_moderators_get_onto_the_stage(ticket_world: World) -> None:
    world = ticket_world
    server, gid, stage = world.server, world.guild_id, world.stage_id
    await schedule(world, when="in 2s")
    await sell(world, price=5)
    await _holder(world, "cole")
    await server.join_voice(gid, world["lee"], stage)  # waits on the Stage before it starts

    await go_live(world)
    await eventually(lambda: world.server.voice_state(gid, world["lee"]) is None)  # moved out at go-live
    await eventually(lambda: bool(dms(world, "lee", "ticket holders only")))
    assert "Buy ticket" in dms(world, "lee", "ticket holders only")[-1]["content"]
    with pytest.raises(ConnectRefused):
        await server.join_voice(gid, world["lee"], stage)  # Discord greys the Stage out for him now
    await server.join_voice(gid, world["cole"], stage)  # the holder
    await server.join_voice(gid, world["mo"], stage)  # a moderator
    await server.join_voice(gid, world["hana"], stage)  # the host
    assert all(server.voice_state(gid, world[n]) is not None for n in ("cole", "mo", "hana"))
    live_card = next(m for m in reversed(server.messages(stage)) if m.get("embeds"))
    await eventually(lambda: "Ticket holders only" in str(_live_card(world)["embeds"][0]["fields"]))
    assert live_card["allowed_mentions"] == {"parse": []}
    await eventually(lambda: bool(dms(world, "cole", "is live")))


async def test_a_member_an_admin_lets_onto_a_gated_stage_is_moved_out(ticket_world: World) -> None:
    # The doors are overwrites: an admin's own overwrite can let a member through them; the bot's voice listener
    # (loaded only when tickets are on) still moves a member without a ticket out and tells them how to buy one.
    world = ticket_world
    server, gid, stage = world.server, world.guild_id, world.stage_id
    await schedule(world, when="in 2s")
    await sell(world, price=5)
    await go_live(world)
    await eventually(lambda: gid in _connect_overwrites(world))  # the doors are closed
    server.set_overwrite(stage, world["lee"], allow=CONNECT, member=True)
    await server.join_voice(gid, world["lee"], stage)
    await eventually(lambda: world.server.voice_state(gid, world["lee"]) is None)
    await eventually(lambda: bool(dms(world, "lee", "ticket holders only")))


async def test_gating_holds_after_a_restart_and_is_lifted_at_the_end(ticket_world: World) -> None:
    world = ticket_world
    server, gid, stage = world.server, world.guild_id, world.stage_id
    await schedule(world, when="in 2s")
    await sell(world, price=5)
    await _holder(world, "cole")
    await go_live(world)
    await eventually(lambda: world.guild_id in _connect_overwrites(world))
    gated = _connect_overwrites(world)

    await world.stop_bot()
    server.set_overwrite(stage, gid, allow=0, deny=0)  # an admin "fixes" the Stage while the bot is away
    await world.start_bot()
    await eventually(lambda: _connect_overwrites(world) == gated, timeout=15)
    with pytest.raises(ConnectRefused):
        await server.join_voice(gid, world["lee"], stage)

    await server.join_voice(gid, world["hana"], stage)
    record = await world.slash(stage, world["hana"], "space end")
    assert "ended" in (record.content or ""), record.content
    await eventually(lambda: gid not in _connect_overwrites(world) or _connect_overwrites(world)[gid] == (0, 0))
    await eventually(lambda: not has_role(world, "cole"))
    await server.join_voice(gid, world["lee"], stage)  # an ordinary Stage again
    assert server.voice_state(gid, world["lee"]) is not None


async def test_personal_listen_links_let_holders_in_and_nobody_else(ticket_world: World) -> None:
    world = ticket_world
    server, gid, stage = world.server, world.guild_id, world.stage_id
    await schedule(world, when="in 2s")
    await sell(world, price=5)
    await _holder(world, "cole")
    await go_live(world)
    await server.join_voice(gid, world["cole"], stage)
    shared = await world.slash(stage, world["cole"], "space share")
    link = next(word for word in (shared.content or "").split() if "?ticket=" in word)
    space = await world.bot.bot.app.spaces.live_in_channel(gid, stage)
    web = world.bot.bot.app.web
    assert web is not None and space is not None

    stranger = await world.slash(stage, world["lee"], "space share")  # in the Stage's own chat
    assert "Buy ticket" in (stranger.content or "") and "?ticket=" not in (stranger.content or "")
    forged = link[:-1] + ("0" if link[-1] != "0" else "1")
    someone_else = web.personal_url(space.id, world["lee"])  # a validly signed link of a member without ticket
    async with aiohttp.ClientSession() as http:
        async with http.get(link.replace(f"/spaces/{space.id}?", f"/spaces/{space.id}/events?")) as allowed:
            assert allowed.status == 200
        for refused_link in (web.listen_url(space), forged, someone_else):
            url = refused_link.replace(f"/spaces/{space.id}", f"/spaces/{space.id}/events")
            async with http.get(url) as refused:
                assert refused.status == 403, await refused.text()


def _live_card(world: World) -> dict:  # type: ignore[type-arg]
    return next(m for m in reversed(world.server.messages(world.stage_id)) if m.get("embeds"))


@pytest.mark.parametrize("restart", [False, True], ids=["", "with-a-restart-mid-space"])
async def test_a_private_stage_stays_private_after_a_ticketed_space(ticket_world: World, restart: bool) -> None:
    # The admins had closed this Stage to everyone but their moderators; a ticketed Space opens it to holders
    # while live, and leaves it as the admins had it, also when the bot restarted in between (it then sees only
    # the doors' own values on the Stage).
    world = ticket_world
    server, gid, stage = world.server, world.guild_id, world.stage_id
    moderators = server.guild(gid).members[world["mo"]].roles[0]
    bots_role = next(role.id for role in server.guild(gid).roles.values() if role.managed)
    server.set_overwrite(stage, gid, deny=CONNECT)
    for let_in in (moderators, bots_role):  # as on Discord, an admin lets the bot in to run Spaces there
        server.set_overwrite(stage, let_in, allow=CONNECT)
    admins_own = _connect_overwrites(world)
    await schedule(world, when="in 2s")
    await sell(world, price=5)
    await _holder(world, "cole")
    await go_live(world)
    await eventually(lambda: len(_connect_overwrites(world)) == 4)  # + the Space's role
    if restart:
        gated = _connect_overwrites(world)
        await world.stop_bot()
        await world.start_bot()
        await eventually(lambda: _connect_overwrites(world) == gated, timeout=15)
    await server.join_voice(gid, world["cole"], stage)  # a holder gets in, whatever @everyone says
    await server.join_voice(gid, world["hana"], stage)  # the host, through the Space's role

    record = await world.slash(stage, world["hana"], "space end")
    assert "ended" in (record.content or ""), record.content
    await eventually(lambda: _connect_overwrites(world) == admins_own)
    with pytest.raises(ConnectRefused):
        await server.join_voice(gid, world["lee"], stage)  # still closed to members at large


async def _private_stage_gated(world: World) -> dict[int, tuple[int, int]]:
    """A Stage the admins closed to all but their moderators, with a ticketed Space live on it; the admins' own."""
    server, gid, stage = world.server, world.guild_id, world.stage_id
    server.set_overwrite(stage, gid, deny=CONNECT)
    for let_in in (server.guild(gid).members[world["mo"]].roles[0], _bots_role(world)):
        server.set_overwrite(stage, let_in, allow=CONNECT)
    admins_own = _connect_overwrites(world)
    await schedule(world, when="in 2s")
    await sell(world, price=5)
    await _holder(world, "cole")
    await go_live(world)
    await eventually(lambda: len(_connect_overwrites(world)) == 4)  # + the Space's role
    await world.server.join_voice(gid, world["hana"], stage)
    return admins_own


def _bots_role(world: World) -> int:
    return next(role.id for role in world.server.guild(world.guild_id).roles.values() if role.managed)


def _ticket_roles(world: World) -> list[str]:
    return [r.name for r in world.server.guild(world.guild_id).roles.values() if r.name.startswith("🎟 ")]


async def test_a_reconciliation_that_reads_the_space_over_as_it_ends_leaves_a_private_stage_private(
    ticket_world: World,
) -> None:
    # A pass read the Space as ended (committed) and removed its role as a leftover before the end's own hook ran:
    # the end then found no record of the admins' Connect and set `@everyone` back to "inherit", opening the Stage.
    world = ticket_world
    admins_own = await _private_stage_gated(world)
    await world.bot.bot.app.tickets.desk.gate.reconcile([], [])  # what that pass does with what it read
    record = await world.slash(world.stage_id, world["hana"], "space end")
    assert "ended" in (record.content or ""), record.content
    await eventually(lambda: _connect_overwrites(world) == admins_own and not _ticket_roles(world))
    with pytest.raises(ConnectRefused):
        await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)


async def test_a_reconciliation_that_read_the_space_live_before_it_ended_does_not_gate_it_again(
    ticket_world: World,
) -> None:
    # A pass read the Space live, then the Space ended and its doors opened, then the pass went on: it made the
    # role again and closed the doors of a Space that is over, until the next pass.
    world = ticket_world
    admins_own = await _private_stage_gated(world)
    app = world.bot.bot.app
    space = await app.spaces.live_in_channel(world.guild_id, world.stage_id)
    assert space is not None
    read_live = await app.schedules.of_live_space(space.id)
    assert read_live is not None
    record = await world.slash(world.stage_id, world["hana"], "space end")
    assert "ended" in (record.content or ""), record.content
    await eventually(lambda: _connect_overwrites(world) == admins_own and not _ticket_roles(world))
    await app.tickets.desk.gate.reconcile([(read_live, [world["hana"]])], [])  # the pass goes on
    await world.server.flush()
    assert _connect_overwrites(world) == admins_own and not _ticket_roles(world)
