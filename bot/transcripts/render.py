"""Search hits as a member reads them in Discord: Space, speaker, time, the words found in bold, the replay link.

Everything a member said or typed is escaped here (markdown, mentions, headings), so a phrase reads as plain text
in bold and roman only; the reply itself goes with mentions disabled as well.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import discord

from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE, fit_lines
from spaces_core.domain.transcripts import matched_spans

__all__ = ["SHOWN_HITS", "ShownHit", "clock", "hits_embed", "no_hits", "plain", "snippet"]

SHOWN_HITS = 10
SNIPPET_CHARS = 180  # of the phrase around the first word found: ten hits fit one embed with their links
_SPACES = re.compile(r"\s+")  # one line per hit: a line break in a phrase would break the quote
_LINE_START = re.compile(r"^([#>\-+*]|\d+\.)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ShownHit:
    title: str
    speaker: str
    offset: timedelta  # into the Space
    said_at: datetime  # wall clock
    text: str
    link: str | None  # the replay at that moment, when this member may hear it and it still exists


def plain(text: str) -> str:
    """Member text shown as typed: no markdown, no mention or timestamp, no heading or quote at a line start."""
    escaped = discord.utils.escape_markdown(_SPACES.sub(" ", text), as_needed=False)
    return _LINE_START.sub(r"\\\1", escaped.replace("<", "\\<").replace("@", "@\u200b"))


def clock(offset: timedelta) -> str:
    """`m:ss`, or `h:mm:ss` past the first hour, as a player shows it."""
    seconds = max(0, int(offset.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def snippet(text: str, query: str, limit: int = SNIPPET_CHARS) -> str:
    """The phrase (cut around the first word found when it is long) with the words found in bold."""
    spans = matched_spans(text, query)
    start = 0
    if len(text) > limit and spans:
        start = max(0, min(spans[0][0] - limit // 3, len(text) - limit))
    end = min(len(text), start + limit)
    out, at = [], start
    for first, last in spans:
        if first < start or last > end:
            continue
        out += [plain(text[at:first]) if at < first else "", f"**{plain(text[first:last])}**"]
        at = last
    out.append(plain(text[at:end]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def _entry(hit: ShownHit, query: str) -> str:
    at = clock(hit.offset)
    when = f"[▶ {at}]({hit.link})" if hit.link else at
    stamp = discord.utils.format_dt(hit.said_at, "f")
    title, speaker, text = hit.title.strip(), hit.speaker.strip(), hit.text.strip()
    return f"**{plain(title)}** · {plain(speaker)} · {when} · {stamp}\n> {snippet(text, query)}"


def hits_embed(query: str, hits: Sequence[ShownHit]) -> discord.Embed:
    typed = plain(query.strip())
    title = f"Said in this server's past Spaces: “{typed}”"
    cut = title if len(title) <= EMBED_TITLE else title[: EMBED_TITLE - 2].rstrip("\\") + "…”"
    entries = [_entry(hit, query) for hit in hits]
    description = fit_lines("", entries, limit=EMBED_DESCRIPTION, most=SHOWN_HITS, more="…and {n} more.")
    embed = discord.Embed(title=cut, description=description.lstrip("\n"), colour=discord.Colour.blurple())
    if any(hit.link for hit in hits[:SHOWN_HITS]):
        embed.set_footer(text="▶ opens the replay at that moment (your personal link, for 24 hours).")
    return embed


def no_hits(query: str) -> str:
    shown = query.strip()
    shown = shown if len(shown) <= 200 else shown[:199] + "…"
    return f"Nothing said in this server's past Spaces matches “{plain(shown)}”."
