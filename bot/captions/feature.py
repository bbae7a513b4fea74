"""Live captions put together: what the composition root builds (`build_live_captions`), subscribes (`register`)
and adds (`CaptionsCog`), so bot/bootstrap/ wires the feature in a few lines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial

import discord
from discord.ext import commands

from bot.audio.rooms import AudioRooms
from bot.captions.chat import CaptionsChat
from bot.captions.feed import CaptionFeed
from bot.captions.model import CaptionsModel
from bot.captions.pipeline import LiveCaptions
from bot.notices import display_name
from bot.settings import Settings
from spaces_core.bus import MessageBus
from spaces_core.domain.rules import GuildPolicy
from spaces_core.domain.space import Space
from spaces_core.services.transcripts import TranscriptService

__all__ = ["CaptionFeed", "CaptionsCog", "build_live_captions", "register"]


def build_live_captions(
    client: discord.Client,
    model: CaptionsModel,
    rooms: AudioRooms,
    feed: CaptionFeed,
    transcripts: TranscriptService,
    policy_of: Callable[[int], Awaitable[GuildPolicy]],
    redraw: Callable[[Space], None],
    settings: Settings,
) -> LiveCaptions:
    """The pipeline, the Stage chat's message (edited every CAPTIONS_EDIT_INTERVAL), and the rooms' hooks (a
    Space's audio coming back resumes its captions). `redraw` marks a Space's card ("captions delayed")."""

    async def language_of(guild_id: int) -> str:
        return (await policy_of(guild_id)).captions_language

    chat = CaptionsChat(client, feed, settings.captions_edit_interval)
    name_of = partial(display_name, client)
    live = LiveCaptions(model, rooms, feed, chat, transcripts, name_of=name_of, language_of=language_of, redraw=redraw)
    rooms.watch(live.room_opened, live.room_closing)
    return live


def register(bus: MessageBus, live: LiveCaptions) -> None:
    async def follow(space: Space, events: Sequence[object]) -> None:
        # Every committed change: captions on or off, the Space's end, who may speak, who opted out.
        await live.follow(space)

    bus.each_batch(Space, follow, name="live captions follow the Space")


class CaptionsCog(commands.Cog):
    """No commands (`/space captions` is in the `/space` group): starts and stops the captions with the client."""

    def __init__(self, live: LiveCaptions) -> None:
        self.live = live

    async def cog_load(self) -> None:
        self.live.start()

    async def cog_unload(self) -> None:
        await self.live.stop()
