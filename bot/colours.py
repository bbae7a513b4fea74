"""The colour of a live Space, shared by its card and live board (bot.spaces) and its scheduled card
(bot.schedules): kept below both features, so neither reaches into the other for it."""

from __future__ import annotations

import discord

__all__ = ["LIVE_COLOUR"]

LIVE_COLOUR = discord.Colour.from_rgb(120, 86, 255)
