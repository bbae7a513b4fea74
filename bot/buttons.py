"""`IdButton`: a persistent button whose custom_id is `sp:<action>:<32-hex id>` and whose state is that id.

Most of our buttons (Request to speak, Follow host, Share, Remind me, Start now) need nothing else, so the
button, the custom_id template and the parsing live here once; a subclass names its action and appearance and
writes its callback.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import discord

__all__ = ["SID", "IdButton"]

SID = r"(?P<sid>[0-9a-f]{32})"
Button = discord.ui.Button[Any]


class IdButton(discord.ui.DynamicItem[Button], template=r"(?!)"):  # the base itself matches no custom_id
    action: ClassVar[str]
    label: ClassVar[str | None] = None
    emoji: ClassVar[str | None] = None
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init_subclass__(cls, *, action: str, **kwargs: Any) -> None:
        cls.action = action
        super().__init_subclass__(template=rf"sp:{action}:{SID}", **kwargs)

    def __init__(self, target_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.label, emoji=self.emoji, style=self.style, custom_id=f"sp:{self.action}:{target_id}"
            )
        )
        self.target_id = target_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Any:
        return cls(match["sid"])
