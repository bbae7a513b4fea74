"""Embeds a member sees: the live Space card, the end-of-Space summary and the "Live now" board.

Pure functions of domain objects: no Discord calls, so they are cheap to re-render on every coalesced edit.
Mentions inside embeds never ping anyone, which is why member names are rendered as `<@id>` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import discord

from bot.ticket_render import HOLDERS_ONLY, offer_line
from spaces_core.domain.space import Space, SpaceSummary
from spaces_core.domain.tickets import TicketOffer

__all__ = ["board_embed", "card_embed", "format_duration", "summary_embed"]

LIVE_COLOUR = discord.Colour.from_rgb(120, 86, 255)
ENDED_COLOUR = discord.Colour.dark_grey()
MAX_LISTED = 15


def _mentions(user_ids: Sequence[int], empty: str = "—") -> str:
    if not user_ids:
        return empty
    shown = ", ".join(f"<@{uid}>" for uid in user_ids[:MAX_LISTED])
    extra = len(user_ids) - MAX_LISTED
    return shown + (f" and {extra} more" if extra > 0 else "")


def format_duration(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def card_embed(space: Space, offer: TicketOffer | None = None) -> discord.Embed:
    """The live card; with `offer` (a ticketed Space), who may join and what a ticket costs."""
    embed = discord.Embed(title=f"🔴 LIVE · {space.title}", colour=LIVE_COLOUR)
    if space.topics:
        embed.description = " · ".join(f"`{topic}`" for topic in space.topics)
    embed.add_field(name="Host", value=f"<@{space.host_id}>", inline=True)
    embed.add_field(name="Co-hosts", value=_mentions(space.cohosts), inline=True)
    embed.add_field(name="Listeners", value=str(space.listener_count), inline=True)
    embed.add_field(name="Speakers", value=_mentions(space.speakers, "Nobody yet"), inline=False)
    if space.started_at is not None:
        # A Discord timestamp counts up on every client by itself: no edit needed to show elapsed time.
        embed.add_field(name="Started", value=f"<t:{int(space.started_at.timestamp())}:R>", inline=True)
    if space.recording:
        embed.add_field(name="● Recording", value="Opt out: `/space record optout`", inline=True)
    if space.queue:
        embed.add_field(name="Requests to speak", value=f"{len(space.queue)} waiting", inline=True)
    if space.links:
        embed.add_field(name="Pinned links", value="\n".join(space.links), inline=False)
    tallies = "  ".join(f"{emoji} {count}" for emoji, count in space.reactions.items() if count)
    if tallies:
        embed.add_field(name="Reactions", value=tallies, inline=False)
    if offer is not None:
        embed.add_field(name=HOLDERS_ONLY, value=offer_line(offer), inline=False)
    how = "Buy a ticket, then join the Stage" if offer is not None else "Join the Stage to listen"
    embed.set_footer(text=f"{how} · Space {space.id[:8]}")
    return embed


def summary_embed(space: Space, summary: SpaceSummary) -> discord.Embed:
    embed = discord.Embed(title=f"Ended · {space.title}", colour=ENDED_COLOUR)
    embed.add_field(name="Duration", value=format_duration(summary.duration), inline=True)
    embed.add_field(name="Peak listeners", value=str(summary.peak_listeners), inline=True)
    embed.add_field(name="Who spoke", value=_mentions(summary.speakers, "Nobody"), inline=False)
    tallies = "  ".join(f"{emoji} {count}" for emoji, count in summary.reactions.items() if count)
    if tallies:
        embed.add_field(name="Reactions", value=tallies, inline=False)
    return embed


def board_embed(spaces: Sequence[Space]) -> discord.Embed:
    embed = discord.Embed(title="🔴 Live now", colour=LIVE_COLOUR)
    if not spaces:
        embed.description = "No Space is live right now. Start one with `/space start`."
        return embed
    lines = [
        f"**{space.title}** — <@{space.host_id}> in <#{space.channel_id}> · {space.listener_count} listening"
        for space in spaces[:20]
    ]
    embed.description = "\n".join(lines)
    return embed
