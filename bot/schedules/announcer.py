"""The Discord side of scheduled Spaces, as handlers of the schedule events (registered on the message bus by
`bot.schedules.handlers`): the Discord Scheduled Event on the Stage, the upcoming card with Remind me and a
calendar file, reminder DMs, the host's alert and Start now button.

The service has committed before any of this runs, so one failing Discord call (a missing permission, a card
deleted by a moderator) is logged and the other effects still happen. DMs go through the shared `DmSender`
queue; members who refuse DMs are mentioned together in the feed channel (or the Stage's chat) instead.

The upcoming card is found again in its channel's recent history by its buttons (Remind me, Buy ticket) rather
than stored: the card table belongs to live Spaces, and a card scrolled out of reach only loses its edit, not the
notices. A ticketed Space's card also shows its price and seats left (`offers`), redrawn by `refresh_card`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial

import discord
from discord.utils import MISSING

from bot.actors import actor_for
from bot.dms import DmSender
from bot.schedules.render import (
    at,
    calendar_file,
    cancelled_text,
    live_now_text,
    reminder_text,
    rescheduled_text,
    upcoming_embed,
)
from bot.schedules.views import start_view, upcoming_view
from spaces_core.domain.errors import NotFound
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.schedule_events import (
    HostAlertDue,
    ReminderDue,
    ScheduleCancelled,
    ScheduleEnded,
    ScheduleWentLive,
    SpaceRescheduled,
    StartPromptDue,
)
from spaces_core.domain.space import Space
from spaces_core.domain.tickets import TicketOffer

__all__ = ["DiscordScheduleAnnouncer", "live_starter"]

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
MENTIONS_PER_MESSAGE = 40  # 40 mentions (~900 characters) leave room for the notice under Discord's 2,000
CARD_SEARCH_DEPTH = 100
FeedChannel = Callable[[int], Awaitable[int | None]]
Offers = Callable[[str], Awaitable[TicketOffer | None]]
CARD_BUTTONS = ("sp:remind:", "sp:buy:", "sp:wait:")


class DiscordScheduleAnnouncer:
    def __init__(
        self,
        client: discord.Client,
        dms: DmSender,
        *,
        feed_channel: FeedChannel,
        offers: Offers | None = None,
        page_of: Callable[[str], str | None] = lambda schedule_id: None,
    ) -> None:
        """`page_of`: the web page of a scheduled Space (None without a web server), for the card's link."""
        self._client = client
        self._dms = dms
        self._feed_channel = feed_channel
        self._offers = offers
        self._page_of = page_of

    # -- the handlers --------------------------------------------------------------------------------------

    async def create_event(self, schedule: ScheduledSpace) -> int | None:
        """The Discord event mirroring a Space just scheduled: its id (None if Discord refused)."""
        await self._client.wait_until_ready()
        try:
            return await self._create_event(schedule)
        except discord.HTTPException as exc:
            log.warning("no Discord event for scheduled Space %s: %s", schedule.id, exc)
            return None

    async def post_card(self, schedule: ScheduledSpace) -> None:
        await self._client.wait_until_ready()
        try:
            channel = self._client.get_partial_messageable(await self._notice_channel(schedule))
            offer = await self._offer(schedule)
            await channel.send(
                embed=upcoming_embed(schedule, offer),
                view=upcoming_view(schedule, offer, self._page_of(schedule.id)) or MISSING,
                file=calendar_file(schedule, discord.utils.utcnow()),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:
            log.warning("card of scheduled Space %s not posted: %s", schedule.id, exc)

    async def remind(self, schedule: ScheduledSpace, event: ReminderDue) -> None:
        await self._tell(schedule, event.audience, reminder_text(schedule, event.offset))

    async def host_alert(self, schedule: ScheduledSpace, event: HostAlertDue) -> None:
        grace = max(1, schedule.grace_seconds // 60)
        text = (
            f"🎙️ Your Space **{schedule.title}** starts {at(schedule.starts_at)}. You can open it from now on with "
            f"`/space start` on its Stage; at the start I'll also send you a Start now button. After {grace} min "
            "without you it counts as missed."
        )
        await self._tell(schedule, [schedule.host_id], text)

    async def start_prompt(self, schedule: ScheduledSpace, event: StartPromptDue) -> None:
        await self._client.wait_until_ready()
        deadline = int((schedule.starts_at + timedelta(seconds=schedule.grace_seconds)).timestamp())
        text = (
            f"🎙️ It's time: **{schedule.title}**. Press Start now (or use `/space start` on its Stage) to go live "
            f"(until <t:{deadline}:t>)."
        )
        try:
            user = self._client.get_user(schedule.host_id) or await self._client.fetch_user(schedule.host_id)
            await user.send(text, view=start_view(schedule), allowed_mentions=NO_MENTIONS)
            return
        except discord.Forbidden:
            log.info("host %s refuses DMs: Start now goes to the feed", schedule.host_id)
        except discord.HTTPException as exc:
            log.warning("Start now DM to host %s failed: %s", schedule.host_id, exc)
        # The button is safe in public: only the host can use it (the service checks).
        await self._post(schedule, f"<@{schedule.host_id}> {text}", [schedule.host_id], view=start_view(schedule))

    async def rescheduled(self, schedule: ScheduledSpace, moved: SpaceRescheduled) -> None:
        await self._client.wait_until_ready()
        await self._event_call(schedule, "move", lambda event: event.edit(start_time=schedule.starts_at))
        await self.refresh_card(schedule)
        await self._tell(schedule, moved.audience, rescheduled_text(schedule, moved.old_start))

    async def cancelled(self, schedule: ScheduledSpace, cancelled: ScheduleCancelled) -> None:
        await self._client.wait_until_ready()
        await self._event_call(schedule, "cancel", lambda event: event.cancel())
        await self.refresh_card(schedule)
        text = cancelled_text(schedule, cancelled.missed)
        await self._tell(schedule, cancelled.audience, text)
        if cancelled.missed:
            await self._tell(schedule, [schedule.host_id], f"{text} Schedule it again with `/space schedule`.")

    async def went_live(self, schedule: ScheduledSpace, live: ScheduleWentLive) -> None:
        await self._client.wait_until_ready()
        await self._event_call(schedule, "start", lambda event: event.start())
        await self.refresh_card(schedule)
        await self._tell(schedule, live.audience, live_now_text(schedule))

    async def ended(self, schedule: ScheduledSpace, ended: ScheduleEnded) -> None:
        await self._client.wait_until_ready()
        await self._event_call(schedule, "complete", lambda event: event.end())

    # -- helpers -------------------------------------------------------------------------------------------

    async def _create_event(self, schedule: ScheduledSpace) -> int | None:
        guild = self._client.get_guild(schedule.guild_id)
        channel = guild.get_channel(schedule.channel_id) if guild is not None else None
        if guild is None or not isinstance(channel, discord.StageChannel | discord.VoiceChannel):
            log.warning("scheduled Space %s: its channel %s is gone", schedule.id, schedule.channel_id)
            return None
        topics = " · ".join(schedule.topics)
        event = await guild.create_scheduled_event(
            name=schedule.title[:100],
            start_time=schedule.starts_at,
            channel=channel,
            privacy_level=discord.PrivacyLevel.guild_only,
            description=(f"{topics}\n" if topics else "") + f"A Space hosted by <@{schedule.host_id}>.",
            reason=f"Scheduled Space {schedule.id}",
        )
        return event.id

    async def _event_call(
        self,
        schedule: ScheduledSpace,
        doing: str,
        call: Callable[[discord.ScheduledEvent], Awaitable[object]],
    ) -> None:
        guild = self._client.get_guild(schedule.guild_id)
        if schedule.event_id is None or guild is None:
            return
        try:
            event = guild.get_scheduled_event(schedule.event_id) or await guild.fetch_scheduled_event(schedule.event_id)
            await call(event)
        except (discord.HTTPException, ValueError) as exc:  # ValueError: discord.py refuses a wrong status
            log.warning("could not %s the Discord event of Space %s: %s", doing, schedule.id, exc)

    async def _notice_channel(self, schedule: ScheduledSpace) -> int:
        return await self._feed_channel(schedule.guild_id) or schedule.channel_id

    async def _offer(self, schedule: ScheduledSpace) -> TicketOffer | None:
        return await self._offers(schedule.id) if self._offers is not None else None

    async def refresh_card(self, schedule: ScheduledSpace) -> None:
        """Redraw the card for the schedule's state and tickets: Remind me only while upcoming, Buy ticket while
        tickets are on sale, no buttons once it is over."""
        buttons = {f"{prefix}{schedule.id}" for prefix in CARD_BUTTONS}
        channel = self._client.get_partial_messageable(await self._notice_channel(schedule))
        try:
            offer = await self._offer(schedule)
            async for message in channel.history(limit=CARD_SEARCH_DEPTH):
                if self._client.user is not None and message.author.id == self._client.user.id:
                    rows = [row for row in message.components if isinstance(row, discord.ActionRow)]
                    ids = {getattr(c, "custom_id", None) for row in rows for c in row.children}
                    if buttons & ids:
                        view = upcoming_view(schedule, offer, self._page_of(schedule.id))
                        embed = upcoming_embed(schedule, offer)
                        await message.edit(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
                        return
        except discord.HTTPException as exc:
            log.warning("card of scheduled Space %s not updated: %s", schedule.id, exc)

    async def _tell(self, schedule: ScheduledSpace, user_ids: Sequence[int], text: str) -> None:
        """DM each member; those who refuse DMs are mentioned in the feed instead, all together."""
        self._dms.send_many(user_ids, text, on_refused=partial(self._fallback, schedule, text))

    async def _fallback(self, schedule: ScheduledSpace, text: str, user_ids: list[int]) -> None:
        for start in range(0, len(user_ids), MENTIONS_PER_MESSAGE):
            chunk = user_ids[start : start + MENTIONS_PER_MESSAGE]
            mentions = " ".join(f"<@{uid}>" for uid in chunk)
            await self._post(
                schedule, f"{mentions} {text}\n-# You don't accept DMs from me, so I'm telling you here.", chunk
            )

    async def _post(
        self, schedule: ScheduledSpace, text: str, pinged: Sequence[int], view: discord.ui.View | None = None
    ) -> None:
        channel = self._client.get_partial_messageable(await self._notice_channel(schedule))
        mentions = discord.AllowedMentions(users=[discord.Object(uid) for uid in pinged])
        try:
            if view is None:
                await channel.send(text, allowed_mentions=mentions)
            else:
                await channel.send(text, view=view, allowed_mentions=mentions)
        except discord.HTTPException as exc:
            log.warning("notice for scheduled Space %s not posted: %s", schedule.id, exc)


def live_starter(
    client: discord.Client,
    start_space: Callable[..., Awaitable[Space]],
    reconcile: Callable[[int, int, set[int]], Awaitable[Space | None]],
    policy: Callable[[int], Awaitable[GuildPolicy]],
) -> Callable[[ScheduledSpace, Actor], Awaitable[Space]]:
    """Start now opens the Space through the same `SpaceService.start_space` as `/space start`. The press may
    come from a DM, where Discord sends no roles: the host's Actor is rebuilt from the guild member, so the
    hosting rule sees the same roles it would in the server."""

    async def start_live(schedule: ScheduledSpace, actor: Actor) -> Space:
        guild = client.get_guild(schedule.guild_id)
        if guild is None:
            raise NotFound("I'm not in that server any more.")
        member = guild.get_member(actor.user_id) or await guild.fetch_member(actor.user_id)
        host = actor_for(member, await policy(schedule.guild_id))
        space = await start_space(
            guild_id=schedule.guild_id,
            channel_id=schedule.channel_id,
            actor=host,
            title=schedule.title,
            topics=", ".join(schedule.topics),
        )
        stage = guild.get_channel(schedule.channel_id)
        if isinstance(stage, discord.StageChannel | discord.VoiceChannel):
            present = {m.id for m in stage.members if not m.bot}  # members already waiting on the Stage
            space = await reconcile(schedule.guild_id, schedule.channel_id, present) or space
        return space

    return start_live
