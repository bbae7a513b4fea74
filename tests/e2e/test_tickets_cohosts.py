"""Co-hosts of a live ticketed Space get onto its Stage whether or not they hold a ticket, at once (not at the next
reconciliation, three minutes later by default): one without a ticket who drops (and so is no longer co-host) can
rejoin, and one whose own ticket is refunded stays. The way in goes when the Space ends."""

from __future__ import annotations

import asyncio

import pytest

from demo.world import World, eventually
from sandbox import ConnectRefused
from tests.e2e.conftest import live_space
from tests.e2e.tickets_support import buy, dms, go_live, has_role, schedule, sell, stripe_of


def _moderator_role(world: World) -> int:
    [role] = world.server.guild(world.guild_id).members[world["mo"]].roles
    return role


async def _on_stage(world: World, name: str) -> bool:
    """Still on the Stage a moment later: the doorman moves anyone without a ticket out as they join."""
    await asyncio.sleep(0.5)
    return world.server.voice_state(world.guild_id, world[name]) is not None


async def test_a_cohost_without_a_ticket_added_live_can_drop_and_rejoin(ticket_world: World) -> None:
    world = ticket_world
    server, gid, stage = world.server, world.guild_id, world.stage_id
    await schedule(world, when="in 2s")
    await sell(world, price=5)
    await go_live(world)
    await server.join_voice(gid, world["hana"], stage)
    server.set_roles(gid, world["lee"], [_moderator_role(world)])  # a moderator may be on the gated Stage
    await server.join_voice(gid, world["lee"], stage)
    await eventually(lambda: _in_space(world, "lee"))

    added = await world.slash(stage, world["hana"], "cohost add", member=world["lee"])
    assert "co-host" in (added.content or ""), added.content
    assert has_role(world, "lee")  # let in by the time the host is answered
    server.set_roles(gid, world["lee"], [r for r in _roles(world, "lee") if r != _moderator_role(world)])
    await server.leave_voice(gid, world["lee"])  # drops, no longer a moderator and without a ticket
    await server.join_voice(gid, world["lee"], stage)
    assert await _on_stage(world, "lee") and not dms(world, "lee", "ticket holders only")
    with pytest.raises(ConnectRefused):
        await server.join_voice(gid, world["maya"], stage)  # the doors are still closed to everyone else
    await world.bot.bot.app.tickets.desk.reconcile()  # the periodic pass agrees: the host let lee in
    assert has_role(world, "lee") and await _on_stage(world, "lee")

    await world.slash(stage, world["hana"], "space end")
    await eventually(lambda: not has_role(world, "lee"))


async def test_a_cohost_whose_ticket_is_refunded_stays_in(ticket_world: World) -> None:
    world = ticket_world
    server, gid, stage = world.server, world.guild_id, world.stage_id
    await schedule(world, when="in 2s")
    await sell(world, price=5)
    await stripe_of(world).pay(await buy(world, "cole"))
    await eventually(lambda: has_role(world, "cole"))
    await go_live(world)
    await server.join_voice(gid, world["hana"], stage)
    await server.join_voice(gid, world["cole"], stage)
    await eventually(lambda: _in_space(world, "cole"))
    added = await world.slash(stage, world["hana"], "cohost add", member=world["cole"])
    assert "co-host" in (added.content or ""), added.content

    refunded = await world.slash(stage, world["hana"], "space refund", member=world["cole"])  # a co-host doesn't pay
    assert "Refunded" in (refunded.content or ""), refunded.content
    await eventually(lambda: bool(dms(world, "cole", "is refunded (the host refunded you)")))
    assert await _on_stage(world, "cole") and has_role(world, "cole")
    await server.leave_voice(gid, world["cole"])
    await server.join_voice(gid, world["cole"], stage)
    assert await _on_stage(world, "cole")
    await world.bot.bot.app.tickets.desk.reconcile()  # the periodic pass agrees: the host let cole in
    assert has_role(world, "cole") and await _on_stage(world, "cole")

    await world.slash(stage, world["hana"], "space end")
    await eventually(lambda: not has_role(world, "cole"))
    assert len(stripe_of(world).objects("refund")) == 1


def _roles(world: World, name: str) -> list[int]:
    return list(world.server.guild(world.guild_id).members[world[name]].roles)


async def _in_space(world: World, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] in space.present
