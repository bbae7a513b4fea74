"""The host's side and bad input: sales with a CSV, payouts through Stripe Connect, and every refused command
(price 0 or 1000, a negative quantity, a non-host, buying twice, buying for a Space that is over) answered
privately with nothing changed; without Stripe settings, the commands say how to turn tickets on."""

from __future__ import annotations

from pathlib import Path

from demo.world import World, eventually, open_world
from tests.e2e.conftest import configure
from tests.e2e.tickets_support import (
    FAST,
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


async def _offer(world: World) -> object:
    button = ticket_button(card(world))
    assert button is not None
    return await world.bot.bot.app.tickets.offer(button.rsplit(":", 1)[1])


async def test_bad_input_is_refused_privately_and_changes_nothing(ticket_world: World) -> None:
    world = ticket_world
    await schedule(world)
    await sell(world, price=5, quantity=10)
    before = await _offer(world)

    for options, words in (
        ({"price": 0}, "from 1 to 999"),
        ({"price": 1000}, "from 1 to 999"),
        ({"price": 5, "quantity": -3}, "at least 1"),
    ):
        record = await world.slash(world.chat_id, world["hana"], "space tickets", **options)
        assert record.ephemeral and words in (record.content or ""), (options, record.content)
    stranger = await world.slash(world.chat_id, world["lee"], "space tickets", price=9, space="Beat")
    assert stranger.ephemeral and "Only the host" in (stranger.content or ""), stranger.content
    mine = await world.slash(world.chat_id, world["lee"], "space tickets", price=9)
    assert mine.ephemeral and "no live or upcoming Space" in (mine.content or ""), mine.content
    assert await _offer(world) == before

    await stripe_of(world).pay(await buy(world, "cole"))
    await eventually(lambda: has_role(world, "cole"))
    shown = card(world)
    twice = await press(world, "cole", shown, str(ticket_button(shown)))
    assert twice.ephemeral and "already have a ticket" in (twice.content or ""), twice.content
    host = await press(world, "hana", shown, str(ticket_button(shown)))
    assert host.ephemeral and "don't need a ticket" in (host.content or ""), host.content
    assert len(stripe_of(world).objects("checkout.session")) == 1

    open_checkout = await buy(world, "lee")  # lee's Checkout is open when the Space is called off
    await world.slash(world.chat_id, world["hana"], "space cancel")
    await eventually(lambda: ticket_button(card(world)) is None)  # the card sells nothing any more
    await eventually(lambda: stripe_of(world).get("checkout.session", open_checkout)["status"] == "expired")
    assert not has_role(world, "lee")
    assert len(stripe_of(world).objects("checkout.session")) == 2


async def test_sales_with_a_csv_and_payouts_setup(ticket_world: World) -> None:
    world = ticket_world
    await schedule(world)
    await sell(world, price=12)
    await stripe_of(world).pay(await buy(world, "cole"))
    await stripe_of(world).pay(await buy(world, "lee"))
    await eventually(lambda: has_role(world, "cole") and has_role(world, "lee"))
    await world.slash(world.chat_id, world["hana"], "space refund", member=world["lee"])
    await eventually(lambda: bool(dms(world, "lee", "is refunded")))

    report = await world.slash(world.chat_id, world["hana"], "space sales")
    assert report.ephemeral, report.content
    text = report.content or ""
    assert "Tickets sold: 1" in text and "Gross: 24.00 USD" in text and "Refunds: 12.00 USD" in text
    assert "Net: **12.00 USD**" in text
    [attachment] = report.message["attachments"]
    assert attachment["filename"].endswith(".csv") and attachment["size"] > 0
    refused = await world.slash(world.chat_id, world["cole"], "space sales", space="Beat")
    assert refused.ephemeral and "Only the host" in (refused.content or ""), refused.content

    setup = await world.slash(world.chat_id, world["hana"], "payouts setup")
    assert setup.ephemeral and "/setup/e/" in (setup.content or ""), setup.content
    [account] = stripe_of(world).objects("account")
    await stripe_of(world).complete_onboarding(account["id"])
    done = await world.slash(world.chat_id, world["hana"], "payouts setup")
    assert "payouts are set up" in (done.content or ""), done.content
    assert len(stripe_of(world).objects("account")) == 1


async def test_without_stripe_settings_ticket_commands_explain_how_to_enable(tmp_path: Path) -> None:
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        await world.start_bot(**FAST)
        await configure(world, feed_channel=world.feed_id)
        await schedule(world)
        for path, options in (
            ("space tickets", {"price": 5}),
            ("space sales", {}),
            ("space refund", {"member": world["cole"]}),
            ("payouts setup", {}),
        ):
            record = await world.slash(world.chat_id, world["hana"], path, **options)
            assert record.ephemeral and "STRIPE_SECRET_KEY" in (record.content or ""), (path, record.content)
        assert ticket_button(card(world)) is None
    finally:
        await world.close()


async def test_the_server_sets_the_ticket_currency_and_its_fee(ticket_world: World) -> None:
    world = ticket_world
    wrong = await world.slash(world.chat_id, world.owner, "server-settings", ticket_currency="doubloons")
    assert wrong.ephemeral and "Tickets can be sold in" in (wrong.content or ""), wrong.content
    saved = await world.slash(world.chat_id, world.owner, "server-settings", ticket_currency="eur", ticket_fee=10.0)
    assert "prices in EUR, server fee 10 %" in (saved.content or ""), saved.content
    not_admin = await world.slash(world.chat_id, world["hana"], "server-settings", ticket_currency="gbp")
    assert not_admin.ephemeral and "saved" not in (not_admin.content or ""), not_admin.content

    await schedule(world)
    record = await sell(world, price=8)
    assert "8.00 EUR" in (record.content or ""), record.content
    session = await buy(world, "cole")
    assert stripe_of(world).get("checkout.session", session)["currency"] == "eur"
