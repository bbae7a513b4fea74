"""How a cog or a button answers a member: privately, with mentions disabled, errors in the member's terms.

`guarded` wraps one use case: a `SpacesError` becomes its own sentence, a refused Discord call names the
permission, anything else is logged and answered with an apology, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord
from discord.utils import MISSING

from bot.permissions import MissingBotPermission, forbidden_message
from spaces_core.domain.errors import SpacesError

__all__ = ["guarded", "reply"]

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
DEFERRED = discord.InteractionResponseType.deferred_channel_message


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    shown_embed = embed if embed is not None else MISSING
    shown_view = view if view is not None else MISSING
    if not interaction.response.is_done():
        await interaction.response.send_message(
            content, embed=shown_embed, view=shown_view, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )
    elif interaction.response.type is DEFERRED and not interaction.extras.get("answered"):
        # A deferred "thinking…" message is completed by editing it, as Discord's own clients expect.
        interaction.extras["answered"] = True
        await interaction.edit_original_response(
            content=content, embed=shown_embed, view=shown_view, allowed_mentions=NO_MENTIONS
        )
    else:
        await interaction.followup.send(
            content or MISSING, embed=shown_embed, view=shown_view, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )


async def guarded(
    interaction: discord.Interaction, action: Callable[[], Awaitable[None]], *, doing: str = "do that"
) -> None:
    try:
        await action()
    except SpacesError as exc:
        await reply(interaction, exc.message)
    except MissingBotPermission as exc:
        await reply(interaction, exc.message)
    except discord.Forbidden as exc:
        await reply(interaction, forbidden_message(exc, doing))
    except Exception:
        log.exception("unexpected error while trying to %s", doing)
        await reply(interaction, "Something went wrong on my side. Please try again in a moment.")
