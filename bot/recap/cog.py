"""The recap feature as the composition root sees it: `build_recaps` makes it, the bus and the client run it."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.audio.rooms import AudioRooms
from bot.recap.poster import CardRefs, Finish, RecapPoster
from spaces_core.bus import MessageBus
from spaces_core.services.recaps import RecapService

__all__ = ["RecapCog", "build_recaps"]


class RecapCog(commands.Cog):
    """No commands: the recaps a restart left owed are posted once ready; the posts under way stop with the bot."""

    def __init__(self, poster: RecapPoster) -> None:
        self.poster = poster
        self._resumed = False

    def register(self, bus: MessageBus) -> None:
        """Subscribe before the Spaces' own end handlers: the web peak is read before the audio room closes."""
        self.poster.register(bus)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if not self._resumed:  # on_ready comes again after a reconnect; what is owed was taken the first time
            self._resumed = True
            await self.poster.resume()

    async def cog_unload(self) -> None:
        await self.poster.stop()


def build_recaps(
    client: discord.Client, recaps: RecapService, cards: CardRefs, audio: AudioRooms, *, finish: Finish
) -> RecapCog:
    """`finish(space_id)` returns once the live captions have stored the Space's last phrases (at once when
    captions were off)."""

    def web_peak(space_id: str) -> int:
        room = audio.get(space_id)
        return room.web_peak if room is not None else 0

    return RecapCog(RecapPoster(client, recaps, cards, web_peak, finish=finish))
