"""What members read about tickets: the card's ticket line, purchase answers, DMs, the host's sales summary.

Pure functions of domain values (no Discord calls). Titles and anything a member typed are only ever sent with
mentions disabled by the callers; `<@id>` here renders a name without pinging.
"""

from __future__ import annotations

from datetime import datetime

from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.ticket_sales import SalesReport
from spaces_core.domain.tickets import (
    AlreadyHolder,
    Checkout,
    Order,
    OrderState,
    Purchase,
    RefundReason,
    TicketOffer,
    Waitlisted,
)

__all__ = [
    "ENABLE_TICKETS",
    "HOLDERS_ONLY",
    "checkout_expired_text",
    "host_refund_text",
    "keep_or_refund_text",
    "offer_line",
    "payment_failed_text",
    "purchase_text",
    "receipt_text",
    "refund_failed_text",
    "refunded_text",
    "sales_text",
    "stage_link",
    "waitlist_offer_text",
]

HOLDERS_ONLY = "🎟️ Ticket holders only"
ENABLE_TICKETS = (
    "Ticketed Spaces are off on this bot. To turn them on, the bot's operator sets `STRIPE_SECRET_KEY` and "
    "`STRIPE_WEBHOOK_SECRET` (and `WEB_PORT` for Stripe's webhooks) in its settings and restarts it; "
    "see `.env.example`."
)
_REFUND_REASONS = {
    RefundReason.CANCELLED: "the Space was cancelled",
    RefundReason.MISSED: "the Space never started",
    RefundReason.HOST: "the host refunded you",
    RefundReason.HOLDER: "you chose a refund",
    RefundReason.LATE: "the payment arrived after the Space was over",
    RefundReason.STRIPE: "it was refunded on Stripe",
}


def _t(moment: datetime, style: str = "F") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def stage_link(schedule: ScheduledSpace) -> str:
    return f"https://discord.com/channels/{schedule.guild_id}/{schedule.channel_id}"


def offer_line(offer: TicketOffer) -> str:
    """`5.00 USD · 12 of 100 seats left`, `5.00 USD · sold out: join the waitlist`, `5.00 USD`."""
    if offer.quantity is None:
        return offer.price_label
    if offer.sold_out:
        return f"{offer.price_label} · sold out: join the waitlist"
    return f"{offer.price_label} · {offer.seats_left} of {offer.quantity} seats left"


def purchase_text(purchase: Purchase, title: str) -> str:
    if isinstance(purchase, Checkout):
        again = "Your checkout is still open: " if purchase.reused else ""
        return (
            f"🎟️ {again}Pay for **{title}** on Stripe's secure page (I never see your card). Your seat is held "
            f"until {_t(purchase.expires_at, 't')}: {purchase.url}"
        )
    if isinstance(purchase, Waitlisted):
        where = "You're already" if purchase.already else "Sold out: you're now"
        return (
            f"{where} number {purchase.position} on the waitlist for **{title}**. If a seat frees up I'll DM you a "
            "link to pay for it."
        )
    assert isinstance(purchase, AlreadyHolder)
    return f"You already have a ticket for **{title}**. See you there!"


def receipt_text(order: Order, schedule: ScheduledSpace, listen_url: str | None) -> str:
    text = (
        f"🎟️ Your ticket for **{schedule.title}** by <@{schedule.host_id}> — {order.amount_label}, paid. "
        f"Starts {_t(schedule.starts_at)}; only ticket holders can join the Stage: {stage_link(schedule)}\n"
        f"-# Receipt: order {order.id}"
    )
    if listen_url:
        text += f"\nIt's live: listen in a browser with your personal link (don't share it): {listen_url}"
    return text


def refunded_text(order: Order, schedule: ScheduledSpace) -> str:
    why = _REFUND_REASONS.get(order.refund_reason, "it was refunded") if order.refund_reason else "it was refunded"
    return (
        f"💸 Your ticket for **{schedule.title}** is refunded ({why}): {order.amount_label} back to your card, "
        f"usually within 5–10 days.\n-# Order {order.id}"
    )


# Stripe's failure_reason values, in a host's words.
_REFUND_FAILURES = {
    "lost_or_stolen_card": "the card was reported lost or stolen",
    "expired_or_canceled_card": "the card has expired or was cancelled",
    "declined": "the card's bank declined it",
    "insufficient_funds": "there wasn't enough balance to pay it",
    "charge_for_pending_refund_disputed": "the payment is disputed",
    "merchant_request": "it was cancelled on Stripe",
}


def refund_failed_text(order: Order, schedule: ScheduledSpace) -> str:
    """To the host: the refund didn't go through, so the member keeps the ticket and the host the money."""
    why = _REFUND_FAILURES.get(order.refund_failure or "", "Stripe gave no reason")
    what = f"The refund of <@{order.user_id}>'s ticket for **{schedule.title}** ({order.amount_label})"
    if order.state is OrderState.REFUNDED:  # Stripe had said it succeeded; the seat may be sold since
        return (
            f"⚠️ {what} failed at Stripe after it had gone through: {why}. The money is back with you and their "
            f"ticket stays cancelled: refund them another way (Stripe's dashboard, or in person).\n-# Order {order.id}"
        )
    return (
        f"⚠️ {what} failed at Stripe: {why}. They keep their ticket and the payment stays with you. Try "
        f"`/space refund` again, or refund them another way (Stripe's dashboard, or in person).\n-# Order {order.id}"
    )


def host_refund_text(order: Order, schedule: ScheduledSpace, member: str) -> str:
    """The host's answer to `/space refund`, as things stand at Stripe when it answered."""
    what = f"{member}'s ticket for **{schedule.title}** ({order.amount_label})"
    if order.state is OrderState.REFUNDED:
        return f"💸 Refunded {what}. They're told by DM and can no longer join the Stage."
    if order.state is OrderState.REFUND_DUE:
        return (
            f"💸 Refund of {what} asked: Stripe is still processing it. Their ticket is withdrawn; they're told by "
            "DM once the money is on its way, and you are if the refund fails."
        )
    why = _REFUND_FAILURES.get(order.refund_failure or "", "Stripe gave no reason")
    return f"⚠️ Stripe could not refund {what}: {why}. They keep their ticket; nothing was refunded."


def waitlist_offer_text(order: Order, schedule: ScheduledSpace) -> str:
    return (
        f"🎟️ A seat opened up for **{schedule.title}** and it's yours if you want it: {order.amount_label}. "
        f"Pay before {_t(order.expires_at, 't')} or it goes to the next person: {order.checkout_url}"
    )


def checkout_expired_text(order: Order, schedule: ScheduledSpace) -> str:
    return (
        f"Your checkout for **{schedule.title}** expired, so the seat held for you is released. "
        "Press **Buy ticket** on its card again if you still want one."
    )


def payment_failed_text(order: Order, schedule: ScheduledSpace) -> str:
    return (
        f"Your payment for **{schedule.title}** didn't go through, so you have no ticket and weren't charged. "
        "Press **Buy ticket** on its card to try again."
    )


def keep_or_refund_text(order: Order, schedule: ScheduledSpace) -> str:
    return (
        f"🗓️ **{schedule.title}** moved to {_t(schedule.starts_at)}. Your ticket ({order.amount_label}) is still "
        "valid: press **Keep** (or nothing) to keep it, or **Refund** to get your money back."
    )


def sales_text(report: SalesReport, title: str) -> str:
    return (
        f"**Sales of {title}**\n"
        f"Tickets sold: {report.sold}\n"
        f"Gross: {report.label(report.gross_cents)}\n"
        f"Refunds: {report.label(report.refunds_cents)}\n"
        f"Server fees: {report.label(report.fees_cents)}\n"
        f"Net: **{report.label(report.net_cents)}** (before Stripe's own fees)\n"
        "-# Every order is in the attached CSV."
    )
