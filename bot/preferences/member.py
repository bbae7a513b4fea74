"""`/settings notifications|timezone` for every member (the server's rules are `/server-settings`, admins only,
in `bot.preferences.server`), and `/privacy delete` (behind a Confirm button)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.audio.replays import delete_replays_hosted_by
from bot.confirm import ask_to_confirm
from bot.context import app_of
from bot.replies import guarded, reply
from bot.schedules import cog as scheduling

__all__ = ["SettingsCog"]


class SettingsCog(commands.Cog):
    settings = app_commands.Group(name="settings", description="Your Spaces preferences: go-live DMs, time zone")
    privacy = app_commands.Group(name="privacy", description="Your data in Spaces")

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @settings.command(name="notifications", description="DMs when a host you follow goes live")
    async def notifications(self, interaction: discord.Interaction, live_dms: bool) -> None:
        async def act() -> None:
            await app_of(interaction.client).settings.set_live_dms(interaction.user.id, live_dms)
            state = "on" if live_dms else "off"
            await reply(interaction, f"Go-live DMs are {state}.")

        await guarded(interaction, act, doing="change your notifications")

    @settings.command(name="timezone", description="Your time zone, for the times you type in /space schedule")
    @app_commands.describe(zone="A name such as Europe/Berlin or America/New_York")
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        await scheduling.set_timezone(interaction, zone)

    @timezone.autocomplete("zone")
    async def timezone_zone(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in scheduling.zone_choices(current)]

    @privacy.command(name="delete", description="Delete your follows, preferences, what you said, your replays")
    async def delete(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await ask_to_confirm(
                interaction,
                "Delete your follows (both ways), your preferences, the reminders you asked for, your block list, "
                "what you said in Spaces' transcripts, your talk time and raised hands in hosts' stats, and the "
                "replays of Spaces you hosted? This can't be undone.",
                _delete_member_data,
                doing="delete your data",
            )

        await guarded(interaction, act, doing="delete your data")


async def _delete_member_data(interaction: discord.Interaction) -> str:
    app = app_of(interaction.client)
    await app.settings.delete_member_data(interaction.user.id)
    replays = app.audio.replays
    gone = await delete_replays_hosted_by(app.spaces, replays, interaction.user.id)
    return (
        "Done: your follows (both ways), your preferences, the reminders you asked for, your block list, what you "
        "said in Spaces' transcripts, your talk time and raised hands in hosts' stats, and the replays of Spaces "
        f"you hosted ({gone}) are deleted."
    )
