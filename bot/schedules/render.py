"""What members see of an upcoming Space: its card, the texts of reminders and notices, and the calendar file.

Pure functions of the domain's `ScheduledSpace`, no Discord calls. Times are Discord timestamps (`<t:…:F>`,
`<t:…:R>`), which every client renders in the reader's own time zone; only the `.ics` file carries UTC.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

import discord

from bot.colours import LIVE_COLOUR
from bot.limits import fit_lines
from bot.tickets.render import HOLDERS_ONLY, offer_line
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState, reminder_label
from spaces_core.domain.tickets import TicketOffer

__all__ = [
    "ICS_NAME",
    "at",
    "calendar_file",
    "calendar_text",
    "cancelled_text",
    "live_now_text",
    "reminder_text",
    "rescheduled_text",
    "upcoming_embed",
    "upcoming_line",
    "upcoming_text",
]

ICS_NAME = "space.ics"
MAX_UPCOMING = 15
UPCOMING_COLOUR = discord.Colour.blurple()
CLOSED_COLOUR = discord.Colour.dark_grey()
_STATE_TITLES = {
    ScheduleState.UPCOMING: "🗓️ Upcoming",
    ScheduleState.LIVE: "🔴 LIVE",
    ScheduleState.MISSED: "Missed",
    ScheduleState.CANCELLED: "Cancelled",
    ScheduleState.ENDED: "Ended",
}


def at(moment: datetime) -> str:
    """Full date and time plus "in 2 hours", both in the reader's own zone."""
    stamp = int(moment.timestamp())
    return f"<t:{stamp}:F> (<t:{stamp}:R>)"


def _link(schedule: ScheduledSpace) -> str:
    return f"https://discord.com/channels/{schedule.guild_id}/{schedule.channel_id}"


def upcoming_embed(schedule: ScheduledSpace, offer: TicketOffer | None = None) -> discord.Embed:
    """The scheduled Space's card; with `offer`, its price and seats left (it is for ticket holders only)."""
    live = schedule.state is ScheduleState.LIVE
    colour = UPCOMING_COLOUR if schedule.is_upcoming else LIVE_COLOUR if live else CLOSED_COLOUR
    embed = discord.Embed(title=f"{_STATE_TITLES[schedule.state]} · {schedule.title}", colour=colour)
    if schedule.topics:
        embed.description = " · ".join(f"`{topic}`" for topic in schedule.topics)
    embed.add_field(name="Host", value=f"<@{schedule.host_id}>", inline=True)
    embed.add_field(name="Stage", value=f"<#{schedule.channel_id}>", inline=True)
    embed.add_field(name="Starts", value=at(schedule.starts_at), inline=False)
    if offer is not None:
        embed.add_field(name=HOLDERS_ONLY, value=offer_line(offer), inline=False)
    if schedule.is_upcoming:
        embed.set_footer(text=f"Press Remind me for a DM before it starts · Space {schedule.id[:8]}")
    return embed


def upcoming_line(schedule: ScheduledSpace, followed: bool) -> str:
    star = "⭐ " if followed else ""
    return f"{star}**{schedule.title}** — <@{schedule.host_id}> in <#{schedule.channel_id}>, {at(schedule.starts_at)}"


def upcoming_text(schedules: Sequence[ScheduledSpace], followed: Collection[int]) -> str:
    """`/space upcoming`: soonest (followed hosts first, as given) up to 15, as many as one message holds."""
    lines = [upcoming_line(s, s.host_id in followed) for s in schedules]
    return fit_lines("**Upcoming Spaces**", lines, most=MAX_UPCOMING)


def reminder_text(schedule: ScheduledSpace, offset: int) -> str:
    return (
        f"⏰ **{schedule.title}** by <@{schedule.host_id}> {reminder_label(offset)} — {at(schedule.starts_at)}. "
        f"Join the Stage: {_link(schedule)}"
    )


def rescheduled_text(schedule: ScheduledSpace, old_start: datetime) -> str:
    return (
        f"🗓️ **{schedule.title}** by <@{schedule.host_id}> moved from <t:{int(old_start.timestamp())}:F> "
        f"to {at(schedule.starts_at)}. Your reminders follow it."
    )


def cancelled_text(schedule: ScheduledSpace, missed: bool) -> str:
    if missed:
        return f"**{schedule.title}** by <@{schedule.host_id}> did not start: the host didn't show up. Sorry!"
    return f"**{schedule.title}** by <@{schedule.host_id}>, planned for {at(schedule.starts_at)}, is cancelled."


def live_now_text(schedule: ScheduledSpace) -> str:
    return f"🔴 **{schedule.title}** by <@{schedule.host_id}> is live now — join the Stage: {_link(schedule)}"


def _ics_text(value: str) -> str:
    """RFC 5545 TEXT escaping."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """RFC 5545 folding: lines over 75 octets go on as continuation lines starting with a space."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            parts.append(current)
            current, size = " ", 1
        current, size = current + char, size + width
    return "\r\n".join([*parts, current])


def calendar_file(schedule: ScheduledSpace, now: datetime) -> discord.File:
    """An "Add to calendar" file attached to the Space's card."""
    data = calendar_text(schedule, now).encode()
    return discord.File(io.BytesIO(data), filename=ICS_NAME, description="Add to calendar")


def calendar_text(schedule: ScheduledSpace, now: datetime) -> str:
    """The iCalendar (RFC 5545) text of an upcoming Space, for the card and the web page alike. An hour long:
    Spaces have no planned end, and calendars want one."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Spaces//Scheduled Space//EN",
        "BEGIN:VEVENT",
        f"UID:{schedule.id}@spaces",
        f"DTSTAMP:{_ics_time(now)}",
        f"DTSTART:{_ics_time(schedule.starts_at)}",
        f"DTEND:{_ics_time(schedule.starts_at + timedelta(hours=1))}",
        f"SUMMARY:{_ics_text(schedule.title)}",
        f"DESCRIPTION:{_ics_text('A Space on Discord: ' + _link(schedule))}",
        f"URL:{_link(schedule)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
