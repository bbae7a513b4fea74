"""How a cog or a button answers a member: privately, with mentions disabled, errors in the member's terms.

`guarded` wraps one use case: a `SpacesError` becomes its own sentence, a refused Discord call names the
permission, anything else is logged and answered with an apology, never a traceback.

The core's sentences name members, channels, roles and times as refs, never as Discord markup: `said` is where they
become mentions and timestamps, so every error a member reads goes through it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord
from discord.utils import MISSING, TimestampStyle, format_dt

from bot.permissions import MissingBotPermission, forbidden_message
from spaces_core.domain.errors import SpacesError
from spaces_core.domain.refs import ChannelRef, MemberRef, Ref, RoleRef, TimeRef

__all__ = ["guarded", "markup", "reply", "said"]

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
DEFERRED = discord.InteractionResponseType.deferred_channel_message
_TIME_STYLES: dict[str, TimestampStyle] = {"time": "t", "date_time": "f", "full": "F"}  # from TimeRef.detail


def markup(ref: Ref) -> str:
    """A core ref as Discord shows it: a mention, a channel link, or a timestamp in the reader's own zone."""
    match ref:
        case MemberRef(user_id):
            return f"<@{user_id}>"
        case ChannelRef(channel_id):
            return f"<#{channel_id}>"
        case RoleRef(role_id):
            return f"<@&{role_id}>"
        case TimeRef(at, detail):
            return format_dt(at, _TIME_STYLES[detail])


def said(error: SpacesError) -> str:
    """The error's sentence as a member reads it in Discord."""
    return error.render(markup)


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
        await reply(interaction, said(exc))
    except MissingBotPermission as exc:
        await reply(interaction, exc.message)
    except discord.Forbidden as exc:
        await reply(interaction, forbidden_message(exc, doing))
    except Exception:
        log.exception("unexpected error while trying to %s", doing)
        await reply(interaction, "Something went wrong on my side. Please try again in a moment.")
