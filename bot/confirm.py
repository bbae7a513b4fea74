"""Confirm / Cancel before something that can't be undone (`/privacy delete`, `/space replay delete`).

The question is ephemeral, so on Discord only the member who asked sees it; the buttons still refuse anyone
else, because a button press is an interaction like any other and is checked server side. Nothing happens
until Confirm is pressed: Cancel or the timeout leaves everything as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.replies import NO_MENTIONS, guarded, reply, said
from spaces_core.domain.errors import SpacesError

__all__ = ["CONFIRM_SECONDS", "ConfirmView", "ask_to_confirm"]

CONFIRM_SECONDS = 120.0  # long enough to read the question, short enough that a forgotten one goes stale
Action = Callable[[discord.Interaction], Awaitable[str]]


class ConfirmView(discord.ui.View):
    def __init__(self, asked: discord.Interaction, action: Action, *, doing: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._asked, self._action, self._doing = asked, action, doing

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self._asked.user.id:
            return True
        await interaction.response.send_message(
            "Only the member who asked can answer this.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return False

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.stop()

        async def act() -> None:
            try:
                text = await self._action(interaction)
            except SpacesError as exc:  # e.g. already deleted meanwhile: say so in place of the question
                text = said(exc)
            await interaction.response.edit_message(content=text, view=None, allowed_mentions=NO_MENTIONS)

        await guarded(interaction, act, doing=self._doing)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Cancelled: nothing was deleted.", view=None)

    async def on_timeout(self) -> None:
        with contextlib.suppress(discord.HTTPException):  # the question may be gone already (token expired)
            await self._asked.edit_original_response(content="No answer: nothing was deleted.", view=None)


async def ask_to_confirm(
    interaction: discord.Interaction,
    question: str,
    action: Action,
    *,
    doing: str,
    wait_seconds: float = CONFIRM_SECONDS,
) -> None:
    """Ask `question` privately with Confirm / Cancel; `action` runs on Confirm and returns the sentence that
    replaces the question."""
    await reply(interaction, question, view=ConfirmView(interaction, action, doing=doing, timeout=wait_seconds))
