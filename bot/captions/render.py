"""The Stage chat's "Live captions" message as text: the latest lines as **Name**: text, within Discord's limit.

What a speaker said and their display name are member text: markdown is escaped (a caption of "*wow*" is not
italics, a name cannot open a code block), and the message is always sent with mentions disabled, so an "@everyone"
said aloud pings nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from discord.utils import escape_markdown, escape_mentions

from bot.captions.feed import CaptionLine
from bot.limits import CONTENT

__all__ = ["HEADER", "SHOWN_LINES", "captions_text", "footer_of", "shown_lines"]

HEADER: Final = "💬 **Live captions**"
SHOWN_LINES: Final = 6
_LINE_CHARS: Final = 280  # one line never crowds out the others: a forced cut every 8 s is ~25 words
_NAME_CHARS: Final = 40


def footer_of(space_id: str) -> str:
    """How the bot finds its message again after a restart (the same short id the card's footer shows)."""
    return f"-# Space {space_id[:8]}"


def captions_text(
    space_id: str,
    title: str,
    lines: Sequence[CaptionLine],
    *,
    delayed: bool = False,
    on: bool = True,
    carried: Sequence[str] = (),
) -> str:
    """The whole message: header, the latest lines (fewer when long), footer; never over Discord's limit.
    `carried`: lines as this message showed them before a restart (already escaped), older than `lines`."""
    state = "" if on else " (off)"
    header = f"{HEADER} · {_plain(title, 100)}{state}"
    if delayed and on:
        header += "\n⏳ *captions delayed: catching up*"
    footer = footer_of(space_id)
    shown = [*carried, *(_line(line) for line in lines)][-SHOWN_LINES:]
    if not shown:
        shown = ["*Waiting for someone to speak…*" if on else "*Nothing was said while captions were on.*"]
    while len(shown) > 1 and len(_join(header, shown, footer)) > CONTENT:
        shown.pop(0)  # the oldest line goes first: captions are for following along now
    return _join(header, shown, footer)[:CONTENT]


def _join(header: str, lines: Sequence[str], footer: str) -> str:
    return "\n".join([header, *lines, footer])


def _line(line: CaptionLine) -> str:
    return f"**{_plain(line.name, _NAME_CHARS) or 'A speaker'}**: {_plain(line.text, _LINE_CHARS)}"


def _plain(text: str, most: int) -> str:
    one_line = " ".join(text.split())
    if len(one_line) > most:
        one_line = one_line[: most - 1].rstrip() + "…"
    return escape_mentions(escape_markdown(one_line))


def shown_lines(content: str) -> list[str]:
    """The caption lines of a message this module wrote (header, notes and footer left out)."""
    return [line for line in content.splitlines() if line.startswith("**")]
