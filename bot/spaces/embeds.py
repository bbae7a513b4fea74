"""Embeds a member sees: the live Space card, the end-of-Space summary and the "Live now" board.

Pure functions of domain objects: no Discord calls, so they are cheap to re-render on every coalesced edit.
Mentions inside embeds never ping anyone, which is why member names are rendered as `<@id>` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import discord

from bot.colours import LIVE_COLOUR
from bot.limits import FIELD_VALUE
from bot.markup import masked_link
from bot.tickets.render import HOLDERS_ONLY, offer_line
from spaces_core.domain.space import Space, SpaceSummary
from spaces_core.domain.tickets import TicketOffer

__all__ = ["board_embed", "card_embed", "format_duration", "link_fields", "summary_embed"]

ENDED_COLOUR = discord.Colour.dark_grey()
MAX_LISTED = 15
# Characters that would end a masked link's target early; percent-encoded, the link still goes to the same page.


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


def link_fields(links: Sequence[str]) -> list[tuple[str, str]]:
    """The card's "Pinned links", one per line, in as many fields as Discord's 1,024 characters a field need:
    five links of the longest pinnable length would not fit in one."""
    fields: list[list[str]] = []
    for url in links:
        line = masked_link(url)
        if len(line) > FIELD_VALUE:
            line = url  # only a link made mostly of brackets; the bare link is at most 512 characters
        if fields and len("\n".join([*fields[-1], line])) <= FIELD_VALUE:
            fields[-1].append(line)
        else:
            fields.append([line])
    # Continuation fields have an invisible name, so the links read as one list.
    return [("Pinned links" if i == 0 else "\u200b", "\n".join(lines)) for i, lines in enumerate(fields)]


def card_embed(space: Space, offer: TicketOffer | None = None, *, captions_delayed: bool = False) -> discord.Embed:
    """The live card; with `offer` (a ticketed Space), who may join and what a ticket costs; `captions_delayed`
    when live captions fell behind (bot.captions)."""
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
    if space.captions:
        state = "⏳ captions delayed, catching up" if captions_delayed else "In the Stage chat"
        embed.add_field(name="💬 Captions on", value=state, inline=True)
    if space.queue:
        embed.add_field(name="Requests to speak", value=f"{len(space.queue)} waiting", inline=True)
    for name, value in link_fields(space.links):
        embed.add_field(name=name, value=value, inline=False)
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
