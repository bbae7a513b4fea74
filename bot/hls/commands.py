"""`/space broadcast on|off`: the body behind the `/space` subcommand (bot/spaces/cog.py), as captions' is.

The domain says who may switch it (the host and co-hosts); the bot adds what it alone knows: whether it has
HLS at all, and whether the Space is ticketed (never broadcast: see bot/hls/streams.py).
"""

from __future__ import annotations

from typing import Final, Literal

import discord

from bot.commands import actor_in, resolve_space
from bot.context import app_of
from bot.replies import guarded, reply
from spaces_core.domain import broadcast as broadcast_rules
from spaces_core.domain.errors import NotAllowed

__all__ = ["BroadcastMode", "broadcast"]

BroadcastMode = Literal["on", "off"]
_DONE: Final = {
    "on": "This Space is broadcast: the listen page plays it over HTTP (HLS), a few seconds behind the Stage, "
    "with no limit on web listeners.",
    "off": "Broadcast is off: the listen page connects over WebRTC again (live, up to the bot's listener limit).",
}


async def broadcast(interaction: discord.Interaction, mode: BroadcastMode) -> None:
    async def act() -> None:
        app = app_of(interaction.client)
        space = await resolve_space(interaction)
        actor = await actor_in(interaction)
        if mode == "on":
            if not broadcast_rules.may_broadcast(space, actor.user_id):  # a listener is told before anything else
                raise NotAllowed(broadcast_rules.ONLY_HOSTS)
            why_not = await app.hls.why_not_broadcast(space)
            if why_not is not None:
                await reply(interaction, f"This Space can't be broadcast. {why_not}")
                return
        await app.spaces.set_broadcast(space.id, actor, mode == "on")
        await reply(interaction, _DONE[mode])

    await guarded(interaction, act, doing="change the broadcast")
