"""Ticketed Spaces end to end: the real bot on the local Discord server, the real `stripe` SDK against the local
Stripe server, webhooks signed by the SDK and posted to the bot's web server. Members click the card's buttons;
Stripe's side is played with `LocalStripe` (pay, expire, deliver with faults)."""

from __future__ import annotations

import re
from typing import Any

from demo.world import World, eventually
from stripe_sandbox import LocalStripe
from tests.e2e.conftest import TICKET_SCHEDULES

__all__ = [
    "FAST",
    "TITLE",
    "buy",
    "card",
    "dms",
    "go_live",
    "has_role",
    "press",
    "schedule",
    "sell",
    "session_of",
    "stripe_of",
    "ticket_button",
]

TITLE = "Beat Tape Listening"
FAST = TICKET_SCHEDULES  # see the `ticket_world` fixture
CHECKOUT_URL = re.compile(r"https?://\S+/c/pay/(?P<session>cs_[A-Za-z0-9_]+)")


def stripe_of(world: World) -> LocalStripe:
    assert world.stripe is not None
    return world.stripe


async def schedule(world: World, when: str = "in 1h", host: str = "hana", title: str = TITLE) -> Any:
    record = await world.slash(
        world.chat_id, world[host], "space schedule", title=title, when=when, topics="beats", channel=world.stage_id
    )
    assert "is scheduled" in (record.content or ""), record.content
    return record


async def sell(world: World, price: int = 5, quantity: int | None = None, host: str = "hana") -> Any:
    options: dict[str, object] = {"price": price}
    if quantity is not None:
        options["quantity"] = quantity
    record = await world.slash(world.chat_id, world[host], "space tickets", **options)
    assert "is ticketed" in (record.content or ""), record.content
    await eventually(lambda: ticket_button(card(world)) is not None)  # the card is redrawn a moment later
    return record


def _buttons(message: dict[str, Any]) -> list[str]:
    return [str(c.get("custom_id")) for row in message.get("components") or [] for c in row.get("components", [])]


def ticket_button(message: dict[str, Any]) -> str | None:
    return next((b for b in _buttons(message) if b.startswith(("sp:buy:", "sp:wait:"))), None)


def card(world: World, title: str = TITLE) -> dict[str, Any]:
    """The scheduled Space's card in the feed."""
    for message in reversed(world.server.messages(world.feed_id)):
        if any(str(embed.get("title", "")).endswith(f"· {title}") for embed in message.get("embeds") or []):
            return message
    raise AssertionError("no card of that Space in the feed")


async def press(world: World, name: str, message: dict[str, Any], custom_id: str) -> Any:
    record = await world.server.click(world[name], message["id"], custom_id, timeout=10.0)
    if record.responded:
        await record.wait_done(timeout=10.0)
    return record


def session_of(record: Any) -> str:
    match = CHECKOUT_URL.search(record.content or "")
    assert match is not None, f"no Checkout link in {record.content!r}"
    return match["session"]


async def buy(world: World, name: str) -> str:
    """The member presses Buy ticket on the card and privately gets a Checkout link; returns its session id."""
    await eventually(lambda: ticket_button(card(world)) is not None)  # the card is redrawn a moment after a sale
    shown = card(world)
    button = ticket_button(shown)
    assert button is not None, "the card has no ticket button"
    record = await press(world, name, shown, button)
    assert record.ephemeral, record.content
    return session_of(record)


def dms(world: World, name: str, words: str) -> list[dict[str, Any]]:
    return [m for m in world.server.dms(world[name]) if words in m["content"]]


def has_role(world: World, name: str) -> bool:
    guild = world.server.guild(world.guild_id)
    roles = [guild.roles[r].name for r in guild.members[world[name]].roles if r in guild.roles]
    return any(role.startswith("🎟 ") for role in roles)


async def go_live(world: World, host: str = "hana") -> None:
    """The host gets Start now by DM at the start and presses it; the Space is then live on the Stage."""
    await eventually(lambda: bool(dms(world, host, "Press Start now")), timeout=15)
    prompt = dms(world, host, "Press Start now")[-1]
    start = next(b for b in _buttons(prompt) if b.startswith("sp:go:"))
    record = await press(world, host, prompt, start)
    assert "You're live" in (record.content or ""), record.content
    await eventually(lambda: world.server.stage_instance(world.stage_id) is not None)


async def live_with_a_holder(world: World, holder: str = "cole") -> None:
    """A ticketed Space live on the Stage, hosted by hana, with `holder` holding a paid ticket (and its role)."""
    await schedule(world, when="in 2s")
    await sell(world, price=5)
    await stripe_of(world).pay(await buy(world, holder))
    await eventually(lambda: has_role(world, holder))
    await go_live(world)
