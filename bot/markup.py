"""Markdown that carries what members gave us: links shown as masked links, without running into Discord's rules."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

import discord

__all__ = ["LINK_TEXT", "masked_link"]

LINK_TEXT: Final = 40  # characters of a link shown; the whole link is behind them
_TARGET_ESCAPES: Final = str.maketrans({"(": "%28", ")": "%29", "<": "%3C", ">": "%3E"})
_TEXT_BRACKETS: Final = str.maketrans("[]", "()")  # square brackets would end the masked link's text


def masked_link(url: str) -> str:
    """`[host/path…](<url>)`: members see where a link goes without 500 characters of query string; `<>` keeps
    Discord from previewing it."""
    parts = urlsplit(url)
    text = parts.netloc + parts.path.rstrip("/")
    if len(text) > LINK_TEXT:
        text = text[: LINK_TEXT - 1] + "…"
    elif parts.query or parts.fragment:
        text += "…"  # there is more to the link than its page
    shown = discord.utils.escape_markdown(text).translate(_TEXT_BRACKETS)
    return f"[{shown}](<{url.translate(_TARGET_ESCAPES)}>)"
