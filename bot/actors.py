"""Turn a Discord member into the domain's `Actor`: who they are and what Discord lets them do.

Moderators are members with Discord's Mute Members permission or the server's configured moderator role;
admins (Administrator or Manage Server) may always host and moderate. Computed from the member the
interaction carries, i.e. from Discord's own permission resolution, never from what the UI showed.
"""

from __future__ import annotations

import discord

from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy

__all__ = ["actor_for"]


def actor_for(user: discord.Member | discord.User, policy: GuildPolicy | None) -> Actor:
    if not isinstance(user, discord.Member):
        return Actor(user_id=user.id)
    perms = user.guild_permissions
    role_ids = frozenset(role.id for role in user.roles)
    mod_role = policy.moderator_role_id if policy is not None else None
    is_admin = perms.administrator or perms.manage_guild
    is_moderator = is_admin or perms.mute_members or (mod_role is not None and mod_role in role_ids)
    return Actor(user_id=user.id, is_moderator=is_moderator, is_admin=is_admin, role_ids=role_ids)
