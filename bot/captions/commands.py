"""`/space captions on|off`: the body behind the `/space` subcommand (bot/spaces/cog.py), as recording's is."""

from __future__ import annotations

from typing import Final, Literal

import discord

from bot.commands import actor_in, resolve_space
from bot.context import app_of
from bot.replies import guarded, reply
from spaces_core.domain import captions as caption_rules
from spaces_core.domain.errors import NotAllowed

__all__ = ["CaptionsMode", "captions"]

CaptionsMode = Literal["on", "off"]
_DONE: Final = {
    "on": "Captions are on: the latest phrases show in the Stage chat's Live captions message as people speak.",
    "off": "Captions are off.",
}


async def captions(interaction: discord.Interaction, mode: CaptionsMode) -> None:
    async def act() -> None:
        app = app_of(interaction.client)
        space = await resolve_space(interaction)
        actor = await actor_in(interaction)
        if mode == "on":
            # Checked before the model loads: a listener is told at once, and nothing below runs for them.
            if not caption_rules.may_switch_captions(space, actor.user_id):
                raise NotAllowed(caption_rules.ONLY_THE_STAGE)
            why_off = app.server_audio.why_off(space)
            if why_off is not None:  # the bot does not hear this Space: there would be nothing to caption
                await reply(interaction, f"Captions can't start. {why_off}")
                return
            await interaction.response.defer(ephemeral=True, thinking=True)  # the first use loads the model
            unavailable = await app.captions.why_unavailable(space)
            if unavailable is not None:
                await reply(interaction, unavailable)
                return
        await app.spaces.set_captions(space.id, actor, mode == "on")
        await reply(interaction, _DONE[mode])

    await guarded(interaction, act, doing="change the captions")
