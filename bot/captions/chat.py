"""The one "Live captions" message per Space in its Stage chat, edited as phrases end.

Posted when captions go on, edited at most once per `interval` seconds whatever the number of phrases (the
coalescer, as the cards use: Discord rate-limits edits per channel, and the card and notices share the channel),
and edited a last time when captions go off or the Space ends. After a restart the bot finds its message again in
the channel's recent history (by the Space's short id in its footer) instead of posting a second one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from typing import Final

import discord

from bot.captions.feed import CaptionFeed
from bot.captions.render import HEADER, captions_text, footer_of, shown_lines
from bot.coalescer import Coalescer
from spaces_core.domain.space import Space

__all__ = ["CaptionsChat"]

log = logging.getLogger(__name__)
NO_MENTIONS: Final = discord.AllowedMentions.none()
_HISTORY: Final = 50  # how far back a restarted bot looks for its message (the chat of a live Stage moves slowly)


class CaptionsChat:
    def __init__(self, client: discord.Client, feed: CaptionFeed, interval: float) -> None:
        self._client, self._feed = client, feed
        self._messages: dict[str, discord.PartialMessage] = {}
        self._spaces: dict[str, Space] = {}
        self._carried: dict[str, list[str]] = {}  # what the message showed before a restart
        self._coalescer = Coalescer(self._flush, interval)
        self._editing = asyncio.Lock()  # a live edit on its way must not land after the final one

    def start(self) -> None:
        self._coalescer.start()

    async def stop(self) -> None:
        await self._coalescer.stop()

    def has(self, space_id: str) -> bool:
        return space_id in self._messages

    async def open(self, space: Space) -> None:
        """The Space's message: the one this bot posted before a restart if still there, else a new one."""
        self._spaces[space.id] = space
        if space.id in self._messages:
            return
        found = await self._find(space)
        text = self._text(space, on=True)
        if found is not None:
            await found.edit(content=text, allowed_mentions=NO_MENTIONS)
            self._messages[space.id] = found
            return
        channel = self._client.get_partial_messageable(space.channel_id)
        sent = await channel.send(text, allowed_mentions=NO_MENTIONS)
        self._messages[space.id] = channel.get_partial_message(sent.id)

    def mark(self, space_id: str) -> None:
        if space_id in self._messages:
            self._coalescer.mark(space_id)

    async def close(self, space: Space) -> None:
        """Captions went off or the Space ended: one last edit, then nothing more for this Space."""
        self._coalescer.forget(space.id)
        self._spaces.pop(space.id, None)
        message = self._messages.pop(space.id, None)
        if message is None:
            return
        async with self._editing:
            try:
                await message.edit(content=self._text(space, on=False), allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as exc:
                log.warning("the captions message of Space %s was not closed: %s", space.id, exc)
        self._carried.pop(space.id, None)

    def _text(self, space: Space, *, on: bool) -> str:
        state = self._feed.state(space.id)
        lines = self._feed.recent(space.id, count=8)
        carried = self._carried.get(space.id, ())
        return captions_text(space.id, space.title, lines, delayed=state.delayed, on=on, carried=carried)

    async def _flush(self, key: Hashable) -> None:
        space_id = str(key)
        async with self._editing:
            message, space = self._messages.get(space_id), self._spaces.get(space_id)
            if message is not None and space is not None:
                await message.edit(content=self._text(space, on=True), allowed_mentions=NO_MENTIONS)

    async def _find(self, space: Space) -> discord.PartialMessage | None:
        me = self._client.user
        channel = self._client.get_channel(space.channel_id)
        if me is None or not isinstance(channel, discord.abc.Messageable):
            return None
        footer = footer_of(space.id)
        try:
            async for message in channel.history(limit=_HISTORY):
                if message.author.id == me.id and message.content.startswith(HEADER) and footer in message.content:
                    self._carried[space.id] = shown_lines(message.content)
                    return message.channel.get_partial_message(message.id)  # type: ignore[union-attr]
        except discord.HTTPException as exc:
            log.info("no look back for the captions message of Space %s: %s", space.id, exc)
        return None
