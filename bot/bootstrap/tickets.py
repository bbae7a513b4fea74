"""The composition root's ticketed part, kept beside it so `bot.bootstrap` stays short: Stripe and the ticket
services, then the gate, the desk and the webhook. `bot.bootstrap` calls these in its phases (its docstring gives
the order); nothing here runs at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bot.client import SpacesBot
from bot.schedules.announcer import DiscordScheduleAnnouncer
from bot.settings import Settings
from bot.spaces.cards import CardUpdater
from bot.tickets.desk import TicketDesk
from bot.tickets.gate import TicketGate
from bot.web.stripe_pages import CANCELLED_PATH, PAID_PATH, PAYOUTS_DONE_PATH, PAYOUTS_REFRESH_PATH
from bot.web.stripe_webhook import StripeWebhook
from payments import StripeEvent, StripeGateway, WebhookVerifier
from payments.tickets import StripeTicketPayments, to_payment_event
from spaces_core.bus import MessageBus
from spaces_core.clock import SystemClock
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.payouts import PayoutService
from spaces_core.services.schedules import ScheduleService
from spaces_core.services.settings import SettingsService
from spaces_core.services.spaces import SpaceService
from spaces_core.services.stage_access import StageAccessMemory
from spaces_core.services.tickets import TicketService

__all__ = ["TicketAdapters", "TicketServices", "ticket_desk", "ticket_gate", "ticket_services"]


@dataclass(slots=True)
class TicketServices:
    """Ticketed Spaces' core, built only with both Stripe settings."""

    gateway: StripeGateway
    service: TicketService
    payouts: PayoutService
    memory: StageAccessMemory


@dataclass(slots=True)
class TicketAdapters:
    service: TicketService
    gate: TicketGate
    desk: TicketDesk
    webhook: StripeWebhook


def ticket_services(settings: Settings, uow_factory: UnitOfWorkFactory, bus: MessageBus) -> TicketServices:
    """Stripe (the real SDK, at `STRIPE_API_BASE` when set) and the ticket and payout services. Stripe sends
    members back to pages on our web server."""
    base = settings.public_base_url or f"http://{settings.web_host}:{settings.web_port or 0}"
    gateway = StripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base or None)
    payments = StripeTicketPayments(
        gateway,
        success_url=base + PAID_PATH,
        cancel_url=base + CANCELLED_PATH,
        onboarding_return_url=base + PAYOUTS_DONE_PATH,
        onboarding_refresh_url=base + PAYOUTS_REFRESH_PATH,
    )
    service = TicketService(uow_factory, SystemClock(), payments, bus)
    memory = StageAccessMemory(uow_factory, SystemClock())
    return TicketServices(gateway, service, PayoutService(uow_factory, payments), memory)


def ticket_gate(bot: SpacesBot, config: SettingsService, tickets: TicketServices) -> TicketGate:
    moderator_role = partial(_moderator_role, config)
    return TicketGate(
        bot, bot.dms, holders=tickets.service.holders, moderator_role=moderator_role, memory=tickets.memory
    )


def ticket_desk(
    settings: Settings,
    bot: SpacesBot,
    schedules: ScheduleService,
    spaces: SpaceService,
    tickets: TicketService,
    gate: TicketGate,
    cards: CardUpdater,
    announcer: DiscordScheduleAnnouncer,
) -> TicketAdapters:
    """The desk (reconciliation, card redraws, background work) and the Stripe webhook."""
    desk = TicketDesk(
        bot,
        tickets=tickets,
        schedules=schedules,
        spaces=spaces,
        gate=gate,
        cards=cards,
        announcer=announcer,
        interval=settings.ticket_reconcile_seconds,
        card_interval=settings.card_edit_interval,
    )

    async def apply(event: StripeEvent) -> str:
        return await tickets.apply(to_payment_event(event))

    webhook = StripeWebhook(WebhookVerifier(settings.stripe_webhook_secret), apply)
    return TicketAdapters(tickets, gate, desk, webhook)


async def _moderator_role(config: SettingsService, guild_id: int) -> int | None:
    return (await config.policy(guild_id)).moderator_role_id
