"""Buying a ticket end to end: the card's Buy button, Stripe Checkout paid, the signed webhook, the role and the
receipt; the same webhook five times, forged and stale ones; the bot down between Stripe's success and our grant."""

from __future__ import annotations

import asyncio
import time

from demo.world import World, eventually
from tests.e2e.tickets_support import (
    buy,
    card,
    dms,
    has_role,
    schedule,
    sell,
    stripe_of,
    ticket_button,
)


async def test_buy_pay_webhook_gives_the_role_and_a_receipt(ticket_world: World) -> None:
    world = ticket_world
    await schedule(world)
    await sell(world, price=5, quantity=3)
    await eventually(lambda: ticket_button(card(world)) is not None)
    shown = card(world)
    [ticket_field] = [f for f in shown["embeds"][0]["fields"] if "Ticket holders only" in f["name"]]
    assert ticket_field["value"] == "5.00 USD · 3 of 3 seats left"
    assert shown["allowed_mentions"] == {"parse": []}

    session = await buy(world, "cole")
    assert stripe_of(world).get("checkout.session", session)["amount_total"] == 500
    await stripe_of(world).pay(session)

    await eventually(lambda: has_role(world, "cole"))
    await eventually(lambda: bool(dms(world, "cole", "Your ticket for")))
    [receipt] = dms(world, "cole", "Your ticket for")
    assert "5.00 USD, paid" in receipt["content"] and receipt["allowed_mentions"] == {"parse": []}
    delivered = [d for d in stripe_of(world).deliveries if d.event_type == "checkout.session.completed"]
    assert [d.status for d in delivered] == [200]
    await eventually(lambda: "2 of 3 seats left" in str(card(world)["embeds"][0]["fields"]))
    assert not has_role(world, "lee")


async def test_a_seat_held_for_a_checkout_shows_on_the_card_before_payment(ticket_world: World) -> None:
    world = ticket_world
    await schedule(world)
    await sell(world, price=5, quantity=3)
    await buy(world, "cole")
    await eventually(lambda: "2 of 3 seats left" in str(card(world)["embeds"][0]["fields"]))
    assert not has_role(world, "cole") and not dms(world, "cole", "Your ticket for")


async def test_the_same_webhook_five_times_and_forged_or_stale_ones(ticket_world: World) -> None:
    world = ticket_world
    stripe = stripe_of(world)
    await schedule(world)
    await sell(world, price=7)
    session = await buy(world, "cole")
    stripe.automatic_delivery = False  # Stripe records the events; the test delivers them, with faults
    await stripe.pay(session)
    [completed] = stripe.events("checkout.session.completed")

    refused = [
        *await stripe.deliver(completed["id"], signing="forged"),
        *await stripe.deliver(completed["id"], signing="unsigned"),
        *await stripe.deliver(completed["id"], timestamp=int(time.time()) - 3600),
    ]
    assert [d.status for d in refused] == [400, 400, 400]
    assert "signature" in refused[0].response.lower() and "older than" in refused[2].response
    assert not await world.bot.bot.app.tickets.service().is_holder(_schedule_id(world), world["cole"])
    assert not has_role(world, "cole")

    five = await stripe.deliver(completed["id"], times=5)
    assert [d.status for d in five] == [200] * 5
    assert [d.response.count("duplicate") for d in five] == [0, 1, 1, 1, 1]
    await eventually(lambda: has_role(world, "cole"))
    await world.bot.bot.dms.drain()
    assert len(dms(world, "cole", "Your ticket for")) == 1
    assert await world.bot.bot.app.tickets.service().holders(_schedule_id(world)) == [world["cole"]]


async def test_bot_down_between_payment_and_grant_gives_exactly_one_ticket(ticket_world: World) -> None:
    world = ticket_world
    stripe = stripe_of(world)
    await schedule(world)
    await sell(world, price=5)
    session = await buy(world, "cole")

    await world.stop_bot()
    await stripe.pay(session)  # the webhook finds nobody listening
    [failed] = [d for d in stripe.deliveries if d.event_type == "checkout.session.completed"]
    assert failed.status is None

    await world.start_bot()  # start-up reconciliation reads the payment from Stripe
    await eventually(lambda: has_role(world, "cole"), timeout=15)
    redelivered = await stripe.webhooks.redeliver_failed()  # Stripe's own retry arrives later: a no-op
    assert [d.status for d in redelivered if d.event_type == "checkout.session.completed"] == [200]
    await world.bot.bot.dms.drain()
    assert len(dms(world, "cole", "Your ticket for")) == 1
    assert await world.bot.bot.app.tickets.service().holders(_schedule_id(world)) == [world["cole"]]


def _schedule_id(world: World) -> str:
    button = ticket_button(card(world))
    assert button is not None
    return button.rsplit(":", 1)[1]


async def test_two_payments_settling_at_once_share_one_role(ticket_world: World) -> None:
    world = ticket_world
    stripe = stripe_of(world)
    await schedule(world)
    await sell(world, price=5)
    sessions = [await buy(world, name) for name in ("cole", "lee", "maya")]
    stripe.automatic_delivery = False
    for session in sessions:
        await stripe.pay(session)
    completed = stripe.events("checkout.session.completed")
    results = await asyncio.gather(*(stripe.deliver(event["id"]) for event in completed))
    assert [d.status for delivered in results for d in delivered] == [200, 200, 200]

    await eventually(lambda: all(has_role(world, n) for n in ("cole", "lee", "maya")))
    guild = world.server.guild(world.guild_id)
    assert len([r for r in guild.roles.values() if r.name.startswith("🎟 ")]) == 1


async def test_concurrent_grants_of_a_new_space_make_one_role(ticket_world: World) -> None:
    """The first sales of a Space settle together (several webhooks at once): the gate serialises the role's
    creation, or each would create its own role and only one of them would open the Stage."""
    world = ticket_world
    await schedule(world)
    await sell(world, price=5)
    app = world.bot.bot.app
    assert app.tickets.enabled and app.schedules is not None
    [planned] = await app.schedules.upcoming(world.guild_id, 0)
    granted = await asyncio.gather(*(app.tickets.desk.gate.grant(planned, world[n]) for n in ("cole", "lee", "maya")))
    assert granted == [True, True, True]
    await eventually(lambda: all(has_role(world, n) for n in ("cole", "lee", "maya")))
    guild = world.server.guild(world.guild_id)
    assert len([r for r in guild.roles.values() if r.name.startswith("🎟 ")]) == 1
