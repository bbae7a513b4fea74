"""The composition root: the one place that turns settings into live objects and wires them together.

Nothing is built at import time. `build` needs a running event loop (aiohttp's connector must be created
inside one), which is why it is a coroutine.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from aiohttp.web import Application

from bot.audio.replays import ReplayRetention
from bot.audio.rooms import AudioRooms
from bot.audio.server_audio import ServerAudio
from bot.audio.stage import StageAdapter
from bot.bootstrap import shards as shards_assembly
from bot.bootstrap import tickets as tickets_assembly
from bot.bootstrap.hls import HlsFeature, hls_feature
from bot.bootstrap.web import web_server, web_upcoming
from bot.bootstrap.workers import WorkersCog, worker_pool
from bot.captions import feature as captions_feature
from bot.captions.model import CaptionsModel
from bot.captions.pipeline import LiveCaptions
from bot.client import SpacesBot
from bot.context import AppContext, Tickets, Web
from bot.discord_connector import build_connector
from bot.heap import freeze_startup_heap
from bot.notices import tell_host
from bot.recap.cog import RecapCog, build_recaps
from bot.recap.page import RecapPage
from bot.recording.cog import RecordingCog
from bot.schedules import handlers as schedule_handlers
from bot.schedules.announcer import DiscordScheduleAnnouncer, live_starter
from bot.settings import Settings
from bot.spaces import handlers as space_handlers
from bot.spaces.cards import CardUpdater, LiveBoard
from bot.stats import feature as stats_feature
from bot.tickets import handlers as ticket_handlers
from bot.tickets import schedule_handlers as ticket_schedule_handlers
from bot.tickets.cog import TicketDoorCog
from bot.tickets.desk import LiveOffers
from bot.tickets.feature import TicketsOff, TicketsOn
from bot.web import LinkSigner
from spaces_core.bus import MessageBus
from spaces_core.clock import SystemClock
from spaces_core.domain.schedule import SchedulePolicy
from spaces_core.handlers import cohost_door, scheduled_end
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.scheduling import ApsJobPlanner
from spaces_core.services import schedule_tickets
from spaces_core.services.follows import FollowService
from spaces_core.services.recaps import RecapService
from spaces_core.services.schedules import ScheduleService
from spaces_core.services.settings import SettingsService
from spaces_core.services.spaces import SpaceService
from spaces_core.services.stats import StatsService
from spaces_core.services.transcripts import TranscriptService
from spaces_core.sharding import ShardGroup
from spaces_core.store.database import create_engine, make_uow_factory, migrate

__all__ = ["Runtime", "build", "run"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    bot: SpacesBot
    dispose: Callable[[], Awaitable[None]]
    shards: ShardGroup | None = None  # sharded (SHARD_COUNT above 1): this process's shards, held by `run`

    async def close(self) -> None:
        await self.bot.close()
        if self.shards is not None:
            await self.shards.close()
        await self.dispose()


@dataclass(slots=True)
class _Services:
    spaces: SpaceService
    follows: FollowService
    config: SettingsService
    schedules: ScheduleService
    planner: ApsJobPlanner
    tickets: tickets_assembly.TicketServices | None
    recaps: RecapService
    transcripts: TranscriptService
    captions_model: CaptionsModel  # loaded lazily; its files are checked (and a missing model logged) here
    stats: StatsService
    shards: ShardGroup | None = None


@dataclass(slots=True)
class _Adapters:
    stage: StageAdapter
    audio: AudioRooms
    server_audio: ServerAudio
    cards: CardUpdater
    board: LiveBoard
    announcer: DiscordScheduleAnnouncer
    feed_channel: Callable[[int], Awaitable[int | None]]
    tickets: tickets_assembly.TicketAdapters | None
    feature: Tickets  # what the rest of the bot asks about tickets: on or off, never None
    web: Web
    # Its `feed` holds the live lines the listen page reads; `finish(space_id)` is what an end waits for (recap).
    captions: LiveCaptions
    recaps: RecapCog
    stats: stats_feature.HostStats
    hls: HlsFeature  # low-latency HLS (bot/hls): its routes on the web server, and whether a Space may broadcast


async def build(settings: Settings, *, guild_ready_timeout: float = 2.0) -> Runtime:
    """Build order. Each phase takes only what the phases before it built: no closure here reaches for a name
    assigned later (tests/unit/test_composition_root.py reads this module and checks it).

    1. Store, bus and client: the database migrated, the unit-of-work factory, the one bus (empty until phase 4),
       the Discord client (not started).
    2. Core services, which need only those: spaces, follows, settings, then (with Stripe settings) tickets and
       payouts, then the schedules with their job planner, the one two-phase step (`_schedules`).
    3. Adapters, taking the services' bound methods: Discord (Stage, audio, ticket gate, live cards and board,
       schedule announcer, ticket desk), then the host stats' page, then the web server, which serves the desk's
       decisions and that page, then host stats' sampler (which links to the server), then live captions (over
       the audio rooms, redrawing the cards), then the recap (which waits for captions to finish).
    4. Bus handlers, in the order members see the effects: tickets, the recap owed, host stats (hands' waits),
       Spaces (captions among them), schedules.
    5. The client's context (web and tickets as objects that are on or off, never None), then the ticket door
       (with tickets), the recording cog, the captions cog, the recap's (recaps owed after a restart) and host
       stats' (the sampler).
    """
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    uow_factory = make_uow_factory(engine)
    bus = shards_assembly.message_bus(settings)  # sharded: other shards' batches are mailed to their process
    bot = SpacesBot(
        shard_count=settings.shard_count,
        shard_ids=list(settings.shard_ids),
        succession_tick=settings.succession_tick,
        dev_guild_id=settings.dev_guild_id,
        connector=build_connector(settings.discord_endpoint, settings.discord_ca_file),
        guild_ready_timeout=guild_ready_timeout,
    )
    services = _services(settings, uow_factory, bus, bot)
    adapters = _adapters(settings, bot, services)
    _register_handlers(bus, bot, services, adapters)
    await _fill_context(settings, bot, services, adapters)
    dispose: Callable[[], Awaitable[None]] = engine.dispose
    if services.tickets is not None:
        dispose = _both(engine.dispose, services.tickets.gateway.aclose)
    return Runtime(bot=bot, dispose=dispose, shards=services.shards)


def _services(settings: Settings, uow_factory: UnitOfWorkFactory, bus: MessageBus, bot: SpacesBot) -> _Services:
    """Phase 2: they need only the store, the clock and the bus (and the client, to start a scheduled Space)."""
    spaces = SpaceService(uow_factory, SystemClock(), bus, ours=settings.shards.owns)
    model = CaptionsModel(Path(settings.captions_model_dir) if settings.captions_model_dir else None)
    model.check()  # a missing model is logged now, naming CAPTIONS_MODEL_DIR; the bot runs on without captions
    config = SettingsService(uow_factory, english_only_captions=model.english_only())
    tickets = tickets_assembly.ticket_services(settings, uow_factory, bus) if settings.tickets_enabled else None
    shards = shards_assembly.shard_group(settings, bus)  # sharded: this process's shards, held by `run`
    schedules, planner = _schedules(settings, uow_factory, bus, bot, spaces, config, shards)
    recaps = RecapService(uow_factory, SystemClock())
    follows, transcripts = FollowService(uow_factory), TranscriptService(uow_factory)
    stats = StatsService(uow_factory, SystemClock())
    return _Services(spaces, follows, config, schedules, planner, tickets, recaps, transcripts, model, stats, shards)


def _schedules(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    bus: MessageBus,
    bot: SpacesBot,
    spaces: SpaceService,
    config: SettingsService,
    shards: ShardGroup | None,
) -> tuple[ScheduleService, ApsJobPlanner]:
    """Scheduled Spaces: jobs in the same database as everything else (started and stopped by the client).

    The planner runs `schedules.fire` and the schedule service plans through the planner: a real cycle, so it is
    built in two phases. The planner first, without its runner; the service takes it; then the planner is bound
    to the service. Nothing runs a job before the client starts the planner, and `start` refuses an unbound one."""
    planner = ApsJobPlanner(settings.database_url)
    policy = SchedulePolicy(
        reminder_offsets=settings.reminder_offsets,
        host_alert=timedelta(seconds=settings.host_alert_seconds),
        grace=timedelta(seconds=settings.schedule_grace_seconds),
    )
    start_live = live_starter(bot, spaces.start_space, spaces.reconcile, config.policy)
    start_live = shards_assembly.at_owner(shards, start_live)  # Start now from a DM may reach another shard
    schedules = ScheduleService(uow_factory, SystemClock(), planner, bus, start_live, policy=policy)
    planner.bind(schedules.fire)
    return schedules, planner


def _adapters(settings: Settings, bot: SpacesBot, services: _Services) -> _Adapters:
    """Phase 3: Discord's and the web's sides. The live cards and the desk both take `LiveOffers`, not each other."""
    spaces, config, tickets = services.spaces, services.config, services.tickets
    stage = StageAdapter(bot)
    audio = AudioRooms(
        web_host=settings.web_host,
        recordings_dir=Path(settings.recordings_dir),
        web_listeners_per_space=settings.web_listeners_per_space,
    )
    tell = partial(tell_host, bot)
    workers = worker_pool(settings)  # AUDIO_WORKER_TOKENS: more Spaces of one server heard at once
    server_audio = ServerAudio(
        audio, stage, live_in_guild=spaces.live_in_guild, get_space=spaces.get, tell=tell, workers=workers
    )
    gate = tickets_assembly.ticket_gate(bot, config, tickets) if tickets is not None else None
    offer_of = LiveOffers(gate, tickets.service).of_space if gate is not None and tickets is not None else None
    feed = captions_feature.CaptionFeed()
    cards = CardUpdater(bot, spaces.cards, settings.card_edit_interval, offer_of, captions_delayed=feed.delayed)
    board = LiveBoard(bot, spaces.live_in_guild, config.policy, config.record_live_board, settings.card_edit_interval)
    feed_channel = partial(_feed_channel, config)
    offers = tickets.service.offer if tickets is not None else None
    # The web server is built after the announcer (its tickets need the announcer): its page links are asked late.
    page_of = partial(_page_of, bot)
    announcer = DiscordScheduleAnnouncer(bot, bot.dms, feed_channel=feed_channel, offers=offers, page_of=page_of)
    ticketing = None
    if gate is not None and tickets is not None:
        ticketing = tickets_assembly.ticket_desk(
            settings, bot, services.schedules, spaces, tickets.service, gate, cards, announcer
        )
    feature: Tickets = TicketsOff()
    if ticketing is not None and tickets is not None:
        feature = TicketsOn(tickets.service, tickets.payouts, ticketing.desk)
    hls = hls_feature(settings, audio, feature)
    web, stats = _web_and_stats(settings, bot, services, audio, feature, ticketing, feed, hls.routes)
    captions = captions_feature.build_live_captions(
        bot, services.captions_model, audio, feed, services.transcripts, config.policy, cards.mark, settings
    )
    recaps = build_recaps(bot, services.recaps, spaces.cards, audio, finish=captions.finish)
    adapters = (stage, audio, server_audio, cards, board, announcer, feed_channel, ticketing, feature, web)
    return _Adapters(*adapters, captions, recaps, stats, hls)


def _web_and_stats(
    settings: Settings,
    bot: SpacesBot,
    services: _Services,
    audio: AudioRooms,
    tickets: Tickets,
    ticketing: tickets_assembly.TicketAdapters | None,
    feed: captions_feature.CaptionFeed,
    more_routes: list[Callable[[Application], None]],
) -> tuple[Web, stats_feature.HostStats]:
    """The web server with the host stats' page and the ended Spaces' recaps among its routes, then host stats
    linking to that server."""
    signer = LinkSigner(settings.link_secret)  # one for every link: without LINK_SECRET its key is random
    pages = stats_feature.stats_pages(services.stats, signer, bot)
    recap = RecapPage(
        bot, services.recaps, services.spaces.get, signer, ticketed=tickets.ticketed, may_attend=tickets.may_attend
    )
    routes: list[Callable[..., None]] = [pages.add_routes, recap.add_routes, *more_routes]
    if services.shards is not None:  # another process's live Space: its listen page is at that process
        routes.append(shards_assembly.redirects(services.shards, services.spaces, audio, partial(_web_of, bot)))
    upcoming = web_upcoming(services.schedules, tickets)
    web = web_server(settings, bot, audio, tickets, ticketing, feed, signer, routes, upcoming)
    return web, stats_feature.build_host_stats(settings, services.stats, services.spaces, audio, pages, web)


def _web_of(bot: SpacesBot) -> Web:
    return bot.app.web


def _page_of(bot: SpacesBot, schedule_id: str) -> str | None:
    return bot.app.web.page_url(schedule_id)


def _register_handlers(bus: MessageBus, bot: SpacesBot, services: _Services, adapters: _Adapters) -> None:
    """Phase 4: tickets' events, the recap's, then the Spaces', then the schedules' (the order features expect)."""
    personal_link, ticketing = adapters.web.personal_url, adapters.tickets
    if ticketing is not None:  # the holder's role, the DMs, and the cards' seats left
        changed = ticketing.desk.changed
        ticket_handlers.register(bus, dms=bot.dms, gate=ticketing.gate, personal_link=personal_link, changed=changed)
    adapters.recaps.register(bus)  # before the Spaces': it reads the web peak before the audio room closes
    adapters.stats.register(bus)  # the hands' waits; the sampler follows each Space
    _register_spaces(bus, bot, services, adapters)
    _register_schedules(bus, bot, services, adapters, personal_link)


def _register_spaces(bus: MessageBus, bot: SpacesBot, services: _Services, adapters: _Adapters) -> None:
    """Space events: Discord first (the Stage, cards, DMs, audio), then the rules that cross features."""
    space_handlers.register(
        bus,
        bot,
        adapters.stage,
        adapters.cards,
        adapters.board,
        bot.dms,
        record_card=services.spaces.record_card,
        feed_channel=adapters.feed_channel,
        followers_to_notify=services.follows.followers_to_notify,
        audio=adapters.audio,
        server_audio=adapters.server_audio,
    )
    captions_feature.register(bus, adapters.captions)  # after the mix follows the roles, before the rules below
    scheduled_end.register(bus, services.schedules.space_ended)  # a scheduled Space's Discord event is completed
    if adapters.tickets is not None:  # a co-host added to a live ticketed Space is let onto its Stage at once
        tickets = adapters.tickets
        cohost_door.register(
            bus, tickets.gate, schedule_of=services.schedules.of_live_space, offer_of=tickets.service.offer
        )


def _register_schedules(
    bus: MessageBus,
    bot: SpacesBot,
    services: _Services,
    adapters: _Adapters,
    personal_link: Callable[[str, int], str | None],
) -> None:
    """The schedule events' handlers. The Discord side first (the event, the card, DMs), then, with tickets,
    what the Space's life means for them: cancel or missed refunds everyone (then the role goes), reschedule asks
    Keep or Refund, go-live closes the doors, the end opens them. Long work runs as the ticket desk's tasks."""
    schedule_handlers.register(bus, adapters.announcer, record_discord_event=services.schedules.record_discord_event)
    ticketing = adapters.tickets
    if ticketing is None:
        return
    schedule_tickets.register(bus, ticketing.service, ticketing.desk.spawn)
    ticket_schedule_handlers.register(
        bus,
        tickets=ticketing.service,
        gate=ticketing.gate,
        spaces=services.spaces,
        dms=bot.dms,
        background=ticketing.desk.spawn,
        changed=ticketing.desk.changed,
        personal_link=personal_link,
    )


async def _fill_context(settings: Settings, bot: SpacesBot, services: _Services, adapters: _Adapters) -> None:
    """Phase 5: what commands and views reach through `client.app`, then the recording cog."""
    bot.app = AppContext(
        spaces=services.spaces,
        follows=services.follows,
        settings=services.config,
        schedules=services.schedules,
        planner=services.planner,
        cards=adapters.cards,
        board=adapters.board,
        stage=adapters.stage,
        audio=adapters.audio,
        server_audio=adapters.server_audio,
        web=adapters.web,
        tickets=adapters.feature,
        transcripts=services.transcripts,
        captions=adapters.captions,
        stats=adapters.stats,
        hls=adapters.hls.broadcasts,
    )
    if adapters.tickets is not None:  # tickets are on: their Stages' doors are watched
        await bot.add_cog(TicketDoorCog(adapters.tickets.gate))
        if settings.web_port is None:
            log.warning("tickets without WEB_PORT: no webhooks; payments become tickets at reconciliation only")
    keep = timedelta(days=settings.recordings_retention_days)
    audio = adapters.audio
    expire = services.transcripts.delete_ended_before
    retention = None
    if audio.replays is not None:
        retention = ReplayRetention(services.spaces, audio.replays, keep, expire_transcripts=expire)
    await bot.add_cog(RecordingCog(bot, retention))  # live audio back after a restart; replay retention
    await bot.add_cog(captions_feature.CaptionsCog(adapters.captions))  # captions resume with their Space's audio
    await bot.add_cog(adapters.recaps)  # recaps a restart left owed
    await bot.add_cog(stats_feature.StatsCog(adapters.stats))  # samples the live Spaces for host analytics
    await bot.add_cog(WorkersCog(bot, adapters.server_audio.workers, adapters.server_audio))  # audio workers run


async def _feed_channel(config: SettingsService, guild_id: int) -> int | None:
    return (await config.policy(guild_id)).feed_channel_id


def _both(first: Callable[[], Awaitable[None]], second: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    async def dispose() -> None:
        try:
            await first()
        finally:
            await second()

    return dispose


async def run(settings: Settings) -> None:
    runtime = await build(settings)
    freeze_startup_heap()  # what is built now lives as long as the bot: full collections need not walk it
    try:
        # Sharded: once this process holds its shards' locks (a deploy's old process has let go of them).
        await shards_assembly.run_holding(runtime.shards, runtime.bot, settings.discord_token)
    finally:
        await runtime.close()
