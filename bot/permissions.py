"""The bot's own Discord permissions: checked before acting, and named in the message when missing.

A member should read "I need the Mute Members permission in #stage", not a traceback or a bare 403.
"""

from __future__ import annotations

import discord

__all__ = ["STAGE_PERMISSIONS", "MissingBotPermission", "forbidden_message", "require_bot_permissions"]

# What Discord requires of a Stage moderator, which is what the bot must be to run a Space.
STAGE_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("manage_channels", "Manage Channels"),
    ("mute_members", "Mute Members"),
    ("move_members", "Move Members"),
)


class MissingBotPermission(Exception):
    def __init__(self, names: list[str], where: str) -> None:
        self.names = names
        listed = " and ".join(", ".join(names).rsplit(", ", 1)) if len(names) > 1 else names[0]
        plural = "permissions" if len(names) > 1 else "permission"
        self.message = (
            f"I need the {listed} {plural} in {where} to run a Space there. "
            "Ask a server admin to grant them to my role, then try again."
        )
        super().__init__(self.message)


def require_bot_permissions(channel: discord.abc.GuildChannel) -> None:
    perms = channel.permissions_for(channel.guild.me)
    missing = [label for attr, label in STAGE_PERMISSIONS if not getattr(perms, attr)]
    if missing:
        raise MissingBotPermission(missing, channel.mention)


def forbidden_message(exc: discord.Forbidden, doing: str) -> str:
    return (
        f"Discord refused to let me {doing} (it says: {exc.text or 'Missing Permissions'}). "
        "I need Manage Channels, Mute Members and Move Members on the Stage; ask a server admin to check my role."
    )
