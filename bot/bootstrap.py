"""The composition root: the one place that turns settings into live objects and wires them together.

Nothing is built at import time. `build` needs a running event loop (aiohttp's connector must be created
inside one), which is why it is a coroutine.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord

from bot.audio.replays import ReplayRetention
from bot.audio.rooms import AudioRooms
from bot.audio.server_audio import ServerAudio
from bot.audio.stage import StageAdapter
from bot.client import SpacesBot
from bot.context import AppContext
from bot.discord_connector import build_connector
from bot.heap import freeze_startup_heap
from bot.recording.cog import RecordingCog
from bot.schedules import handlers as schedule_handlers
from bot.schedules.announcer import DiscordScheduleAnnouncer, live_starter
from bot.settings import Settings
from bot.spaces import handlers as space_handlers
from bot.spaces.cards import CardUpdater, LiveBoard
from bot.tickets import handlers as ticket_handlers
from bot.tickets import schedule_handlers as ticket_schedule_handlers
from bot.tickets.desk import TicketDesk
from bot.tickets.gate import TicketGate
from bot.web import LinkSigner, WebServer
from bot.web.stripe_pages import CANCELLED_PATH, PAID_PATH, PAYOUTS_DONE_PATH, PAYOUTS_REFRESH_PATH
from bot.web.stripe_webhook import StripeWebhook
from payments import StripeEvent, StripeGateway, WebhookVerifier
from payments.tickets import StripeTicketPayments, to_payment_event
from spaces_core.bus import MessageBus
from spaces_core.clock import SystemClock
from spaces_core.domain.schedule import ScheduledSpace, SchedulePolicy
from spaces_core.domain.space import Space
from spaces_core.domain.tickets import TicketOffer
from spaces_core.handlers import cohost_door, scheduled_end
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.scheduling import ApsJobPlanner
from spaces_core.services import schedule_tickets
from spaces_core.services.follows import FollowService
from spaces_core.services.payouts import PayoutService
from spaces_core.services.schedules import ScheduleService
from spaces_core.services.settings import SettingsService
from spaces_core.services.spaces import SpaceService
from spaces_core.services.stage_access import StageAccessMemory
from spaces_core.services.tickets import TicketService
from spaces_core.store.database import create_engine, make_uow_factory, migrate

__all__ = ["Runtime", "build", "run"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    bot: SpacesBot
    dispose: Callable[[], Awaitable[None]]

    async def close(self) -> None:
        await self.bot.close()
        await self.dispose()


@dataclass(slots=True)
class _Ticketing:
    """Ticketed Spaces' parts, built only with both Stripe settings. The desk needs the schedules, so it
    comes last; until then nothing can call it (the bot is not started)."""

    gateway: StripeGateway
    service: TicketService
    payouts: PayoutService
    gate: TicketGate
    webhook: StripeWebhook
    desk: TicketDesk | None = None

    def spawn(self, work: Coroutine[Any, Any, object], name: str) -> None:
        assert self.desk is not None, "built in bootstrap.build before the bot starts"
        self.desk.spawn(work, name)

    def changed(self, schedule_id: str) -> None:
        if self.desk is not None:
            self.desk.changed(schedule_id)


async def build(settings: Settings, *, guild_ready_timeout: float = 2.0) -> Runtime:
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    uow_factory = make_uow_factory(engine)
    bus = MessageBus()  # the one bus: every service that publishes gets it, every feature registers on it
    bot = SpacesBot(
        succession_tick=settings.succession_tick,
        dev_guild_id=settings.dev_guild_id,
        connector=build_connector(settings.discord_endpoint, settings.discord_ca_file),
        guild_ready_timeout=guild_ready_timeout,
    )
    follows = FollowService(uow_factory)
    config = SettingsService(uow_factory)

    async def card_refs(space_id: str) -> list[tuple[int, int]]:
        return await spaces.cards(space_id)

    async def live_in_guild(guild_id: int) -> list:  # type: ignore[type-arg]
        return await spaces.live_in_guild(guild_id)

    async def record_card(space_id: str, channel_id: int, message_id: int) -> None:
        await spaces.record_card(space_id, channel_id, message_id)

    async def feed_channel(guild_id: int) -> int | None:
        return (await config.policy(guild_id)).feed_channel_id

    async def offer_of_space(space: Space) -> TicketOffer | None:
        desk = ticketing.desk if ticketing is not None else None
        return await desk.offer_of_space(space) if desk is not None else None

    cards = CardUpdater(bot, card_refs, settings.card_edit_interval, offer_of_space)
    board = LiveBoard(bot, live_in_guild, config.policy, config.record_live_board, settings.card_edit_interval)
    stage = StageAdapter(bot)
    audio = AudioRooms(
        web_host=settings.web_host,
        recordings_dir=Path(settings.recordings_dir),
        web_listeners_per_space=settings.web_listeners_per_space,
    )
    server_audio = ServerAudio(
        audio,
        stage,
        live_in_guild=live_in_guild,
        get_space=lambda space_id: spaces.get(space_id),
        tell=lambda space, text: _tell_host(bot, space, text),
    )

    async def space_ended(space_id: str) -> bool:  # a scheduled Space's Discord event is completed
        return await schedules.space_ended(space_id)

    async def of_live_space(space_id: str) -> ScheduledSpace | None:
        return await schedules.of_live_space(space_id)

    signer = LinkSigner(settings.link_secret)
    web: WebServer | None = None

    def personal_link(space_id: str, member_id: int) -> str | None:
        return web.personal_url(space_id, member_id) if web is not None else None

    ticketing = _ticketing(settings, uow_factory, bot, config, bus) if settings.tickets_enabled else None
    if ticketing is not None:
        _register_tickets(bus, ticketing, bot, personal_link)
    _register_spaces(
        bus,
        bot,
        stage=stage,
        cards=cards,
        board=board,
        audio=audio,
        server_audio=server_audio,
        record_card=record_card,
        feed_channel=feed_channel,
        followers_to_notify=follows.followers_to_notify,
        space_ended=space_ended,
        of_live_space=of_live_space,
        ticketing=ticketing,
    )
    spaces = SpaceService(uow_factory, SystemClock(), bus)
    if settings.web_port is not None:
        web = WebServer(
            audio,
            signer,
            host=settings.web_host,
            port=settings.web_port,
            public_base_url=settings.public_base_url,
            name_of=lambda guild_id, user_id: _display_name(bot, guild_id, user_id),
            ticketed=lambda space: _ticketed(ticketing, space),
            may_attend=lambda space, user_id: _may_attend(ticketing, space, user_id),
            webhook=ticketing.webhook if ticketing is not None else None,
        )
    schedules, planner = _schedules(settings, uow_factory, bot, spaces, config, bus)
    announcer = _register_schedules(bus, bot, schedules, spaces, feed_channel, ticketing, personal_link)
    bot.app = AppContext(
        spaces=spaces,
        follows=follows,
        settings=config,
        schedules=schedules,
        planner=planner,
        cards=cards,
        board=board,
        stage=stage,
        audio=audio,
        server_audio=server_audio,
        web=web,
    )
    dispose: Callable[[], Awaitable[None]] = engine.dispose
    if ticketing is not None:
        ticketing.desk = TicketDesk(
            bot,
            tickets=ticketing.service,
            schedules=schedules,
            spaces=spaces,
            gate=ticketing.gate,
            cards=cards,
            announcer=announcer,
            interval=settings.ticket_reconcile_seconds,
            card_interval=settings.card_edit_interval,
        )
        bot.app.tickets, bot.app.payouts, bot.app.tickets_desk = ticketing.service, ticketing.payouts, ticketing.desk
        dispose = _both(engine.dispose, ticketing.gateway.aclose)
        if web is None:
            log.warning("tickets without WEB_PORT: no webhooks; payments become tickets at reconciliation only")
    keep = timedelta(days=settings.recordings_retention_days)
    retention = ReplayRetention(spaces, audio.replays, keep) if audio.replays is not None else None
    await bot.add_cog(RecordingCog(bot, retention))  # live audio back after a restart; replay retention
    return Runtime(bot=bot, dispose=dispose)


def _register_spaces(
    bus: MessageBus,
    bot: SpacesBot,
    *,
    stage: StageAdapter,
    cards: CardUpdater,
    board: LiveBoard,
    audio: AudioRooms,
    server_audio: ServerAudio,
    record_card: Callable[[str, int, int], Awaitable[None]],
    feed_channel: Callable[[int], Awaitable[int | None]],
    followers_to_notify: Callable[[int], Awaitable[list[int]]],
    space_ended: Callable[[str], Awaitable[bool]],
    of_live_space: Callable[[str], Awaitable[ScheduledSpace | None]],
    ticketing: _Ticketing | None,
) -> None:
    """Space events: Discord first (the Stage, cards, DMs, audio), then the rules that cross features."""
    space_handlers.register(
        bus,
        bot,
        stage,
        cards,
        board,
        bot.dms,
        record_card=record_card,
        feed_channel=feed_channel,
        followers_to_notify=followers_to_notify,
        audio=audio,
        server_audio=server_audio,
    )
    scheduled_end.register(bus, space_ended)
    if ticketing is not None:  # a co-host added to a live ticketed Space is let onto its Stage at once
        cohost_door.register(bus, ticketing.gate, schedule_of=of_live_space, offer_of=ticketing.service.offer)


def _ticketing(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    bot: SpacesBot,
    config: SettingsService,
    bus: MessageBus,
) -> _Ticketing:
    """Stripe (the real SDK, at `STRIPE_API_BASE` when set), the ticket and payout services, the gate and the
    webhook. Stripe sends members back to pages on our web server."""
    base = settings.public_base_url or f"http://{settings.web_host}:{settings.web_port or 0}"
    gateway = StripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base or None)
    payments = StripeTicketPayments(
        gateway,
        success_url=base + PAID_PATH,
        cancel_url=base + CANCELLED_PATH,
        onboarding_return_url=base + PAYOUTS_DONE_PATH,
        onboarding_refresh_url=base + PAYOUTS_REFRESH_PATH,
    )

    async def holders(schedule_id: str) -> list[int]:
        return await service.holders(schedule_id)

    async def moderator_role(guild_id: int) -> int | None:
        return (await config.policy(guild_id)).moderator_role_id

    memory = StageAccessMemory(uow_factory, SystemClock())
    gate = TicketGate(bot, bot.dms, holders=holders, moderator_role=moderator_role, memory=memory)
    service = TicketService(uow_factory, SystemClock(), payments, bus)

    async def apply(event: StripeEvent) -> str:
        return await service.apply(to_payment_event(event))

    webhook = StripeWebhook(WebhookVerifier(settings.stripe_webhook_secret), apply)
    return _Ticketing(gateway, service, PayoutService(uow_factory, payments), gate, webhook)


def _register_tickets(
    bus: MessageBus, ticketing: _Ticketing, bot: SpacesBot, personal_link: Callable[[str, int], str | None]
) -> None:
    """Ticket events: the holder's role, the DMs, and the cards' seats left (through the desk, once it is built)."""
    ticket_handlers.register(
        bus, dms=bot.dms, gate=ticketing.gate, personal_link=personal_link, changed=ticketing.changed
    )


async def _ticketed(ticketing: _Ticketing | None, space: Space) -> bool:
    desk = ticketing.desk if ticketing is not None else None
    return desk is not None and await desk.ticketed(space)


async def _may_attend(ticketing: _Ticketing | None, space: Space, user_id: int) -> bool:
    desk = ticketing.desk if ticketing is not None else None
    return desk is None or await desk.may_attend(space, user_id)


def _both(first: Callable[[], Awaitable[None]], second: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    async def dispose() -> None:
        try:
            await first()
        finally:
            await second()

    return dispose


def _schedules(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    bot: SpacesBot,
    spaces: SpaceService,
    config: SettingsService,
    bus: MessageBus,
) -> tuple[ScheduleService, ApsJobPlanner]:
    """Scheduled Spaces: jobs in the same database as everything else (started and stopped by the client)."""

    async def run_job(schedule_id: str, revision: int, key: str) -> bool:
        return await schedules.fire(schedule_id, revision, key)

    planner = ApsJobPlanner(settings.database_url, run_job)
    policy = SchedulePolicy(
        reminder_offsets=settings.reminder_offsets,
        host_alert=timedelta(seconds=settings.host_alert_seconds),
        grace=timedelta(seconds=settings.schedule_grace_seconds),
    )
    start_live = live_starter(bot, spaces.start_space, spaces.reconcile, config.policy)
    schedules = ScheduleService(uow_factory, SystemClock(), planner, bus, start_live, policy=policy)
    return schedules, planner


def _register_schedules(
    bus: MessageBus,
    bot: SpacesBot,
    schedules: ScheduleService,
    spaces: SpaceService,
    feed_channel: Callable[[int], Awaitable[int | None]],
    ticketing: _Ticketing | None,
    personal_link: Callable[[str, int], str | None],
) -> DiscordScheduleAnnouncer:
    """The schedule events' handlers. The Discord side first (the event, the card, DMs), then, with tickets,
    what the Space's life means for them: cancel or missed refunds everyone (then the role goes), reschedule asks
    Keep or Refund, go-live closes the doors, the end opens them. Long work runs as the ticket desk's tasks.
    Returns the Discord side, which the ticket desk uses to redraw cards."""
    offers = ticketing.service.offer if ticketing is not None else None
    announcer = DiscordScheduleAnnouncer(bot, bot.dms, feed_channel=feed_channel, offers=offers)
    schedule_handlers.register(bus, announcer, record_discord_event=schedules.record_discord_event)
    if ticketing is None:
        return announcer
    schedule_tickets.register(bus, ticketing.service, ticketing.spawn)
    ticket_schedule_handlers.register(
        bus,
        tickets=ticketing.service,
        gate=ticketing.gate,
        spaces=spaces,
        dms=bot.dms,
        background=ticketing.spawn,
        changed=ticketing.changed,
        personal_link=personal_link,
    )
    return announcer


async def _tell_host(bot: SpacesBot, space: Space, text: str) -> None:
    """A notice in the Space's Stage chat that pings its host only (the text carries members' titles)."""
    mention = discord.AllowedMentions(users=[discord.Object(space.host_id)])
    try:
        await bot.get_partial_messageable(space.channel_id).send(text, allowed_mentions=mention)
    except discord.HTTPException as exc:
        log.warning("notice to the host of Space %s not posted: %s", space.id, exc)


def _display_name(bot: SpacesBot, guild_id: int, user_id: int) -> str:
    guild = bot.get_guild(guild_id)
    member = guild.get_member(user_id) if guild is not None else None
    return member.display_name if member is not None else "a speaker"


async def run(settings: Settings) -> None:
    runtime = await build(settings)
    freeze_startup_heap()  # what is built now lives as long as the bot: full collections need not walk it
    try:
        await runtime.bot.start(settings.discord_token)
    finally:
        await runtime.close()
