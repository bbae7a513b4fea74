"""Ticket buttons: **Buy ticket** / **Join waitlist** on the cards, **Keep** / **Refund** in the reschedule DM.

`IdButton`s (`bot.buttons`): the scheduled Space's or the order's id is the whole state, so a card posted before
a restart still sells. Answers are private; the Checkout link goes only to the member who pressed. The service
re-checks everything (on sale, seats, who owns the order): a visible button proves nothing.
"""

from __future__ import annotations

import discord

from bot.buttons import IdButton
from bot.context import app_of
from bot.replies import guarded, reply
from bot.tickets.render import purchase_text
from spaces_core.domain.tickets import Checkout, Order, TicketOffer
from spaces_core.services.tickets import TicketService

__all__ = [
    "BuyTicket",
    "JoinWaitlist",
    "KeepTicket",
    "RefundTicket",
    "keep_or_refund_view",
    "pay_view",
    "register_ticket_components",
    "ticket_button",
    "tickets_of",
]


def tickets_of(client: discord.Client) -> TicketService:
    """The ticket service; without Stripe settings, an `InvalidInput` saying how to enable tickets."""
    return app_of(client).tickets.service()


async def _buy(interaction: discord.Interaction, schedule_id: str) -> None:
    async def act() -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # Stripe answers in its own time
        app = app_of(interaction.client)
        service = tickets_of(interaction.client)
        purchase = await service.buy(schedule_id=schedule_id, user_id=interaction.user.id)
        title = (await app.schedules.get(schedule_id)).title
        await reply(interaction, purchase_text(purchase, title), view=pay_view(purchase))

    await guarded(interaction, act, doing="sell you a ticket")


class BuyTicket(IdButton, action="buy"):
    label = "Buy ticket"
    emoji = "🎟️"
    style = discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction) -> None:
        await _buy(interaction, self.target_id)


class JoinWaitlist(IdButton, action="wait"):
    """Shown when sold out. The same purchase: the service waitlists whoever finds no free seat (and sells one
    if a seat was released since the card was drawn)."""

    label = "Join waitlist"
    emoji = "⏳"

    async def callback(self, interaction: discord.Interaction) -> None:
        await _buy(interaction, self.target_id)


class KeepTicket(IdButton, action="keep"):
    label = "Keep"
    emoji = "✅"
    style = discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await tickets_of(interaction.client).keep(order_id=self.target_id, user_id=interaction.user.id)
            await reply(interaction, "Kept: your ticket is valid for the new time. See you there!")

        await guarded(interaction, act, doing="keep your ticket")


class RefundTicket(IdButton, action="refund"):
    label = "Refund"
    emoji = "💸"
    style = discord.ButtonStyle.danger

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            order = await tickets_of(interaction.client).refund_own(
                order_id=self.target_id, user_id=interaction.user.id
            )
            await reply(interaction, f"Refund requested: {order.amount_label} goes back to your card.")

        await guarded(interaction, act, doing="refund your ticket")


def ticket_button(offer: TicketOffer) -> IdButton:
    return JoinWaitlist(offer.schedule_id) if offer.sold_out else BuyTicket(offer.schedule_id)


def pay_view(purchase: object) -> discord.ui.View | None:
    """A link button to Stripe's page next to the link itself (some clients hide long links)."""
    if not isinstance(purchase, Checkout):
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Pay with Stripe", style=discord.ButtonStyle.link, url=purchase.url))
    return view


def keep_or_refund_view(order: Order) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(KeepTicket(order.id))
    view.add_item(RefundTicket(order.id))
    return view


def register_ticket_components(client: discord.Client) -> None:
    client.add_dynamic_items(BuyTicket, JoinWaitlist, KeepTicket, RefundTicket)
