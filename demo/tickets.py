"""The demo's second act: a ticketed Space sold end to end, as members and Stripe would play it.

The host schedules a Space and sets a price; a member presses **Buy ticket** on its card and privately gets a
Stripe Checkout link; the buyer pays on the (local) Stripe page; Stripe's signed webhook reaches the bot's web
server; the member gets a receipt by DM and the Space's role. When the Space goes live its Stage lets in only
ticket holders: a member without one cannot connect.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from demo.world import World, eventually
from sandbox import ConnectRefused

__all__ = ["sell_a_ticket"]

Say = Callable[[str, str], None]
TITLE = "Beat Tape Listening"
CHECKOUT = re.compile(r"(?P<url>https?://\S+/c/pay/(?P<session>cs_[A-Za-z0-9_]+))")


def _buttons(message: dict[str, Any]) -> list[str]:
    return [str(c.get("custom_id")) for row in message.get("components") or [] for c in row.get("components", [])]


def _card(world: World) -> dict[str, Any]:
    for message in reversed(world.server.messages(world.feed_id)):
        if any(str(e.get("title", "")).endswith(TITLE) for e in message.get("embeds") or []):
            return message
    raise LookupError("no card")


def _buy_button(world: World) -> str | None:
    return next((b for b in _buttons(_card(world)) if b.startswith("sp:buy:")), None)


def _dm(world: World, name: str, words: str) -> str | None:
    found = [m["content"] for m in world.server.dms(world[name]) if words in m["content"]]
    return found[-1] if found else None


async def _press(world: World, name: str, message: dict[str, Any], custom_id: str) -> Any:
    record = await world.server.click(world[name], message["id"], custom_id, timeout=10.0)
    if record.responded:
        await record.wait_done(timeout=10.0)
    return record


async def sell_a_ticket(world: World, say: Say) -> None:
    assert world.stripe is not None, "open the world with stripe=True"
    server, gid, stage = world.server, world.guild_id, world.stage_id
    record: Any = await world.slash(
        world.chat_id, world["hana"], "space schedule", title=TITLE, when="in 4s", channel=stage
    )
    say("hana", f'/space schedule title:"{TITLE}" when:"in 4s" → {record.content}')
    record = await world.slash(world.chat_id, world["hana"], "space tickets", price=5, quantity=50)
    say("hana", f"/space tickets price:5 quantity:50 → {record.content.splitlines()[0]}")
    await eventually(lambda: _buy_button(world) is not None)
    field = next(f for f in _card(world)["embeds"][0]["fields"] if "Ticket" in f["name"])
    say("Discord", f"the card in #live-now: {field['name']}: {field['value']} [Buy ticket]")

    answer = await _press(world, "cole", _card(world), str(_buy_button(world)))
    match = CHECKOUT.search(answer.content or "")
    assert match is not None, answer.content
    say("cole", f"presses Buy ticket → (only cole sees) Stripe Checkout: {match['url']}")
    await world.stripe.pay(match["session"])
    paid = world.stripe.get("checkout.session", match["session"])
    say("Stripe", f"cole pays {paid['amount_total'] / 100:.2f} {paid['currency'].upper()} on the Checkout page")
    delivered = next(d for d in world.stripe.deliveries if d.event_type == "checkout.session.completed")
    say("Stripe", f"signed webhook checkout.session.completed → bot's /stripe/webhook answers {delivered.status}")
    await eventually(lambda: _dm(world, "cole", "Your ticket for") is not None)
    say("cole", f"gets a DM: {str(_dm(world, 'cole', 'Your ticket for')).splitlines()[0]}")

    await eventually(lambda: _dm(world, "hana", "Press Start now") is not None, timeout=15)
    prompt = next(m for m in reversed(server.dms(world["hana"])) if "Press Start now" in m["content"])
    start = next(b for b in _buttons(prompt) if b.startswith("sp:go:"))
    say("hana", f"gets a DM: {prompt['content'].splitlines()[0]} [Start now]")
    record = await _press(world, "hana", prompt, start)
    say("hana", f"presses Start now → {record.content}")
    await eventually(lambda: _gated(world))
    try:
        await server.join_voice(gid, world["lee"], stage)
        raise AssertionError("lee, who has no ticket, could join the ticket holders' Stage")
    except ConnectRefused:
        say("lee", "has no ticket: Discord won't let him connect to the Stage (ticket holders only)")
    await server.join_voice(gid, world["cole"], stage)
    say("cole", "joins the Stage with his ticket")
    await server.join_voice(gid, world["hana"], stage)
    sales: Any = await world.slash(stage, world["hana"], "space sales")
    lines = (sales.content or "").splitlines()
    say("hana", f"/space sales → {' · '.join(line for line in lines[1:5])} (+ a CSV file)")
    record = await world.slash(stage, world["hana"], "space end")
    say("hana", f"/space end → {record.content}")
    await eventually(lambda: not _gated(world))
    say("Discord", "#Main Stage is open to everyone again")


def _gated(world: World) -> bool:
    channel = world.server.guild(world.guild_id).channels[world.stage_id]
    everyone = channel.overwrites.get(world.guild_id)
    return everyone is not None and bool(everyone.deny)
