"""Money back: a cancelled Space refunds every holder once, a rescheduled one asks Keep or Refund, the host
refunds one member; and the waitlist gets a seat an expired checkout released."""

from __future__ import annotations

from typing import Any

from demo.world import World, eventually
from tests.e2e.tickets_support import (
    buy,
    card,
    dms,
    has_role,
    press,
    schedule,
    sell,
    stripe_of,
    ticket_button,
)


async def _holders(world: World, *names: str) -> None:
    for name in names:
        await stripe_of(world).pay(await buy(world, name))
    await eventually(lambda: all(has_role(world, name) for name in names))


def _refunds(world: World) -> list[dict[str, Any]]:
    return stripe_of(world).objects("refund")


def _buttons(message: dict[str, Any]) -> list[str]:
    return [str(c.get("custom_id")) for row in message.get("components") or [] for c in row.get("components", [])]


async def test_cancel_refunds_every_holder_once_and_tells_them(ticket_world: World) -> None:
    world = ticket_world
    await schedule(world)
    await sell(world, price=5)
    await _holders(world, "cole", "lee")

    record = await world.slash(world.chat_id, world["hana"], "space cancel")
    assert "is cancelled" in (record.content or ""), record.content
    await eventually(lambda: len(_refunds(world)) == 2, timeout=10)
    await eventually(lambda: all(dms(world, n, "is refunded (the Space was cancelled)") for n in ("cole", "lee")))
    await eventually(lambda: not has_role(world, "cole") and not has_role(world, "lee"))
    guild = world.server.guild(world.guild_id)
    await eventually(lambda: not any(r.name.startswith("🎟 ") for r in guild.roles.values()))  # once all refunded
    refunded = {r["payment_intent"] for r in _refunds(world)}
    assert len(refunded) == 2  # one refund per payment, never two for the same one
    await world.bot.bot.app.tickets.desk.reconcile()  # a later pass repeats nothing
    await world.bot.bot.dms.drain()
    assert len(_refunds(world)) == 2
    assert [len(dms(world, n, "is refunded")) for n in ("cole", "lee")] == [1, 1]
    assert ticket_button(card(world)) is None  # nothing left to sell


async def test_reschedule_asks_keep_or_refund(ticket_world: World) -> None:
    world = ticket_world
    await schedule(world)
    await sell(world, price=5)
    await _holders(world, "cole", "lee")

    record = await world.slash(world.chat_id, world["hana"], "space reschedule", when="in 3h")
    assert "now starts" in (record.content or ""), record.content
    await eventually(lambda: all(dms(world, n, "press **Keep**") for n in ("cole", "lee")))
    keep_dm, refund_dm = dms(world, "cole", "press **Keep**")[-1], dms(world, "lee", "press **Keep**")[-1]
    keep = await press(world, "cole", keep_dm, next(b for b in _buttons(keep_dm) if b.startswith("sp:keep:")))
    assert "Kept" in (keep.content or ""), keep.content
    refund = await press(world, "lee", refund_dm, next(b for b in _buttons(refund_dm) if b.startswith("sp:refund:")))
    assert refund.ephemeral and "Refund requested" in (refund.content or ""), refund.content
    not_yours = await press(world, "lee", keep_dm, next(b for b in _buttons(keep_dm) if b.startswith("sp:refund:")))
    assert "isn't yours" in (not_yours.content or ""), not_yours.content

    await eventually(lambda: len(_refunds(world)) == 1)
    await eventually(lambda: bool(dms(world, "lee", "is refunded (you chose a refund)")))
    await eventually(lambda: not has_role(world, "lee"))
    assert has_role(world, "cole")


async def test_host_refunds_one_member(ticket_world: World) -> None:
    world = ticket_world
    await schedule(world)
    await sell(world, price=5)
    await _holders(world, "cole", "lee")

    refused = await world.slash(world.chat_id, world["maya"], "space refund", member=world["cole"], space="Beat")
    assert refused.ephemeral and "Only the host" in (refused.content or ""), refused.content
    record = await world.slash(world.chat_id, world["hana"], "space refund", member=world["cole"])
    assert record.ephemeral and "Refunded" in (record.content or ""), record.content
    await eventually(lambda: bool(dms(world, "cole", "is refunded (the host refunded you)")))
    await eventually(lambda: not has_role(world, "cole"))
    assert has_role(world, "lee") and len(_refunds(world)) == 1
    again = await world.slash(world.chat_id, world["hana"], "space refund", member=world["cole"])
    assert "no ticket" in (again.content or "") or "already" in (again.content or ""), again.content
    assert len(_refunds(world)) == 1


async def test_a_failed_refund_keeps_the_ticket_and_tells_the_host(ticket_world: World) -> None:
    world = ticket_world
    stripe = stripe_of(world)
    await schedule(world)
    await sell(world, price=5)
    await _holders(world, "cole")
    stripe.refund_status = "pending"  # the card network answers later, as Stripe's test card 4000 0000 0000 7726

    record = await world.slash(world.chat_id, world["hana"], "space refund", member=world["cole"])
    assert record.ephemeral and "still processing" in (record.content or ""), record.content
    await stripe.settle_refund(str(_refunds(world)[0]["id"]), succeeded=False, failure_reason="lost_or_stolen_card")

    await eventually(lambda: bool(dms(world, "hana", "failed at Stripe: the card was reported lost or stolen")))
    await eventually(lambda: has_role(world, "cole"))
    await world.bot.bot.dms.drain()
    assert not dms(world, "cole", "is refunded")
    button = ticket_button(card(world))
    assert button is not None
    assert await world.bot.bot.app.tickets.service().is_holder(button.rsplit(":", 1)[1], world["cole"])


async def test_a_released_seat_goes_to_the_first_on_the_waitlist(ticket_world: World) -> None:
    world = ticket_world
    stripe = stripe_of(world)
    await schedule(world)
    await sell(world, price=5, quantity=1)
    first = await buy(world, "cole")  # holds the only seat while cole's checkout is open
    await eventually(lambda: "sold out" in str(card(world)["embeds"][0]["fields"]))
    shown = card(world)
    button = ticket_button(shown)
    assert button is not None and button.startswith("sp:wait:")
    lee = await press(world, "lee", shown, button)
    maya = await press(world, "maya", shown, button)
    assert "number 1 on the waitlist" in (lee.content or "") and "number 2" in (maya.content or "")

    await stripe.expire(first)  # cole never paid: the checkout expires and the seat is released
    await eventually(lambda: bool(dms(world, "lee", "A seat opened up")), timeout=10)
    offer = dms(world, "lee", "A seat opened up")[-1]["content"]
    session = offer.rsplit("/c/pay/", 1)[1].split()[0]
    assert not dms(world, "maya", "A seat opened up")
    await eventually(lambda: bool(dms(world, "cole", "checkout for")))
    await stripe.pay(session)
    await eventually(lambda: has_role(world, "lee"))
    assert not has_role(world, "cole")


async def test_a_missed_space_refunds_every_holder(ticket_world: World) -> None:
    world = ticket_world
    await world.stop_bot()
    await world.start_bot(schedule_grace_seconds=3.0)  # the host has 3 s after the start to press Start now
    await schedule(world, when="in 6s")  # time to sell a ticket before it starts, even on a busy machine
    await sell(world, price=5)
    await _holders(world, "cole")
    await eventually(lambda: bool(dms(world, "cole", "is refunded (the Space never started)")), timeout=25)
    await eventually(lambda: not has_role(world, "cole"))
    assert len(_refunds(world)) == 1
