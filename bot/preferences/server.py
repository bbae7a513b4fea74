"""`/server-settings`: a server's rules for Spaces, for its admins.

Its own top-level command because Discord applies `default_member_permissions` to a whole top-level command:
inside `/settings` (which every member uses for their own preferences) it could not be hidden from members.
Hiding is a courtesy of Discord's picker (admins can re-grant it in Integrations settings); the settings
service still refuses anyone who isn't an admin.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands import actor_in, guild_only
from bot.context import app_of
from bot.preferences.policy_render import policy_lines
from bot.replies import guarded, reply

__all__ = ["ServerSettingsCog"]


class ServerSettingsCog(commands.Cog):
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @app_commands.command(
        name="server-settings", description="Server rules for Spaces: channels, who hosts, limits, reminders (admins)"
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)  # whom `bot.actors` counts as admin (or Administrator)
    @app_commands.describe(
        feed_channel="Channel for the Live now board and the Space cards",
        stage_category="Category where new Stages are created",
        speaker_limit="Speakers besides host and co-hosts (1-50)",
        grace_seconds="How long a host may be away before the co-host takes over (10-600)",
        min_followers="Followers needed to host (0 = anyone)",
        host_role="Role needed to host (admins always can)",
        moderator_role="Role whose members moderate Spaces",
        reminders="Reminders before scheduled Spaces, e.g. 24h, 15m, 0 (0 = at the start; 'default' resets)",
        ticket_currency="Currency of ticket prices, e.g. usd, eur, gbp",
        ticket_fee="The server's share of each ticket paid to a host's own Stripe account, in % (0-50)",
        captions_language="Language of live captions, e.g. en, es, fr (never guessed per phrase)",
    )
    async def server_settings(
        self,
        interaction: discord.Interaction,
        feed_channel: discord.TextChannel | None = None,
        stage_category: discord.CategoryChannel | None = None,
        speaker_limit: app_commands.Range[int, 1, 50] | None = None,
        grace_seconds: app_commands.Range[int, 1, 600] | None = None,
        min_followers: app_commands.Range[int, 0, 1_000_000] | None = None,
        host_role: discord.Role | None = None,
        moderator_role: discord.Role | None = None,
        reminders: str | None = None,
        ticket_currency: str | None = None,
        ticket_fee: app_commands.Range[float, 0, 50] | None = None,
        captions_language: app_commands.Range[str, 2, 8] | None = None,
    ) -> None:
        async def act() -> None:
            changes: dict[str, object] = {
                "feed_channel_id": feed_channel.id if feed_channel else None,
                "stage_category_id": stage_category.id if stage_category else None,
                "speaker_limit": speaker_limit,
                "grace_seconds": grace_seconds,
                "min_followers": min_followers,
                "required_role_ids": frozenset({host_role.id}) if host_role else None,
                "moderator_role_id": moderator_role.id if moderator_role else None,
                "reminder_offsets": reminders,
                "ticket_currency": ticket_currency,
                "ticket_fee_bps": round(ticket_fee * 100) if ticket_fee is not None else None,
                "captions_language": captions_language,
            }
            given = {key: value for key, value in changes.items() if value is not None}
            app = app_of(interaction.client)
            policy = await app.settings.update_policy(guild_only(interaction), await actor_in(interaction), **given)
            verb = "saved" if given else "unchanged (give an option to change one)"
            await reply(interaction, f"Server settings {verb}:\n" + "\n".join(policy_lines(policy)))

        await guarded(interaction, act, doing="change the server settings")
