"""Scheduled Spaces: `/space schedule|reschedule|cancel` (bodies here, declared on `/space` in `bot.spaces.cog`),
`/space upcoming`, `/settings timezone` and its zone suggestions (declared in `bot.preferences.member`), and Discord's
"Interested" on events.

Each body parses, makes one service call and renders; errors come back as the member's sentence, privately.
"""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import available_timezones

import discord
from discord.ext import commands

from bot.commands import actor_in, guild_only
from bot.context import app_of
from bot.replies import guarded, reply
from bot.schedules.render import at, upcoming_text
from spaces_core.domain.errors import InvalidInput
from spaces_core.domain.when import exact_when, time_zone

__all__ = [
    "ScheduleCog",
    "cancel",
    "reschedule",
    "schedule",
    "set_timezone",
    "share_upcoming",
    "upcoming",
    "zone_choices",
]

Vocal = discord.StageChannel | discord.VoiceChannel
MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
# Offered before anything is typed: an alphabetical start (Africa/Abidjan, Africa/Accra…) helps nobody.
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Africa/Cairo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def _stage_for(interaction: discord.Interaction, given: Vocal | None) -> Vocal:
    """The Stage it will run on: the one given, or the one the host stands in. Nothing is created ahead of time."""
    user = interaction.user
    channel = given
    if channel is None and isinstance(user, discord.Member) and user.voice is not None:
        standing = user.voice.channel
        channel = standing if isinstance(standing, discord.StageChannel | discord.VoiceChannel) else None
    if channel is None:
        raise InvalidInput("Pick the Stage channel it will run on with the `channel` option.")
    guild = interaction.guild
    if isinstance(channel, discord.VoiceChannel) and guild is not None and "COMMUNITY" in guild.features:
        raise InvalidInput(f"{channel.mention} is a voice channel. Spaces run on Stage channels here: pick one.")
    return channel


async def schedule(
    interaction: discord.Interaction, title: str, when: str, topics: str | None, channel: Vocal | None
) -> None:
    async def act() -> None:
        guild_id = guild_only(interaction)
        stage = _stage_for(interaction, channel)
        actor = await actor_in(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        planned = await app_of(interaction.client).schedules.schedule(
            guild_id=guild_id, channel_id=stage.id, actor=actor, title=title, topics=topics or "", when=when
        )
        text = (
            f"🗓️ **{planned.title}** is scheduled on <#{planned.channel_id}> for {at(planned.starts_at)}. "
            "Members can press Remind me on its card; your followers will be reminded."
        )
        if planned.event_id is None:
            text += "\nI couldn't create the Discord event: I need the **Manage Events** permission."
        await reply(interaction, text + await _zone_note(interaction, when, planned.starts_at))

    await guarded(interaction, act, doing="schedule the Space")


async def reschedule(interaction: discord.Interaction, when: str, title: str | None) -> None:
    async def act() -> None:
        actor = await actor_in(interaction)
        moved = await app_of(interaction.client).schedules.reschedule(actor=actor, when=when, title=title)
        text = f"🗓️ **{moved.title}** now starts {at(moved.starts_at)}. Everyone reminded is told."
        await reply(interaction, text + await _zone_note(interaction, when, moved.starts_at))

    await guarded(interaction, act, doing="reschedule the Space")


async def _zone_note(interaction: discord.Interaction, when: str, starts_at: datetime) -> str:
    """For a member who never set a time zone and typed a wall time ("8pm", not "in 2h"): the zone it was read in,
    and how to set theirs. The `<t:…:F>` above shows the time in their own clock, so a mistake is easy to see."""
    prefs = await app_of(interaction.client).settings.prefs(interaction.user.id)
    if prefs.timezone or exact_when(when, now=starts_at) is not None:
        return ""
    assumed = time_zone(None)
    return (
        f"\nI read your time in **{assumed}** ({starts_at.astimezone(assumed):%a %d %b, %H:%M} {assumed}), since "
        "you haven't set a time zone. Set yours with `/settings timezone` so times you type mean your own clock."
    )


async def cancel(interaction: discord.Interaction, title: str | None) -> None:
    async def act() -> None:
        actor = await actor_in(interaction)
        gone = await app_of(interaction.client).schedules.cancel(actor=actor, title=title)
        await reply(interaction, f"**{gone.title}** is cancelled. Everyone who asked for a reminder is told.")

    await guarded(interaction, act, doing="cancel the Space")


async def set_timezone(interaction: discord.Interaction, zone: str) -> None:
    async def act() -> None:
        prefs = await app_of(interaction.client).settings.set_timezone(interaction.user.id, zone)
        name = prefs.timezone or "UTC"
        local = discord.utils.utcnow().astimezone(time_zone(name))
        await reply(
            interaction,
            f"Your time zone is **{name}** (it's {local:%H:%M} there now). Times you type, like "
            "`friday 8pm`, are read in it; members see every time in their own.",
        )

    await guarded(interaction, act, doing="set your time zone")


async def upcoming(interaction: discord.Interaction) -> None:
    async def act() -> None:
        app = app_of(interaction.client)
        viewer = interaction.user.id
        found = await app_of(interaction.client).schedules.upcoming(guild_only(interaction), viewer)
        if not found:
            await reply(interaction, "No Space is scheduled here. Plan one with `/space schedule`.")
            return
        followed = set(await app.follows.following(viewer))
        await reply(interaction, upcoming_text(found, followed))

    await guarded(interaction, act, doing="list the upcoming Spaces")


@functools.cache
async def share_upcoming(interaction: discord.Interaction) -> str | None:
    """`/space share` with no live Space: the upcoming one planned on this Stage, else the member's own next one,
    with its page's link when the bot runs its web server (None: nothing upcoming to share)."""
    app = app_of(interaction.client)
    planned = await app.schedules.upcoming(guild_only(interaction), interaction.user.id)
    here = [s for s in planned if s.channel_id == interaction.channel_id]
    mine = [s for s in planned if s.host_id == interaction.user.id]
    found = min(here or mine, key=lambda s: s.starts_at, default=None)
    if found is None:
        return None
    text = f"Share this upcoming Space: **{found.title}** by <@{found.host_id}>, {at(found.starts_at)}."
    page = app.web.page_url(found.id)
    if page is not None:
        text += f"\nIts page (the time, a countdown, Add to calendar; no Discord account needed): {page}"
    return text


def _zones() -> tuple[str, ...]:
    """Every IANA zone this machine knows (tzdata), sorted; read on first use, not at import."""
    return tuple(sorted(available_timezones()))


def zone_choices(typed: str) -> list[str]:
    """Zones for `/settings timezone`'s autocomplete, best first: the common zones whose name or city starts with
    what was typed ("ber" → Europe/Berlin before Atlantic/Bermuda), then the other such zones, then those
    containing it ("york" → America/New_York). Spaces count as underscores, as members type "new york"."""
    needle = "_".join(typed.strip().lower().split())
    if not needle:
        return list(COMMON_ZONES)
    ranked = []
    for name in _zones():
        low = name.lower()
        if low.startswith(needle) or low.rsplit("/", 1)[-1].startswith(needle):
            ranked.append((0 if name in COMMON_ZONES else 1, name))
        elif needle in low:
            ranked.append((2, name))
    return [name for _, name in sorted(ranked)][:MAX_CHOICES]


class ScheduleCog(commands.Cog):
    """No commands (they are on `/space`): Discord's "Interested" on a scheduled Space's event."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @commands.Cog.listener()
    async def on_scheduled_event_user_add(self, event: discord.ScheduledEvent, user: discord.User) -> None:
        await self._interest(event, user, True)

    @commands.Cog.listener()
    async def on_scheduled_event_user_remove(self, event: discord.ScheduledEvent, user: discord.User) -> None:
        await self._interest(event, user, False)

    async def _interest(self, event: discord.ScheduledEvent, user: discord.User, interested: bool) -> None:
        if not user.bot:
            await app_of(self.client).schedules.set_interest(event.id, user.id, interested)
