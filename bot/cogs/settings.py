"""`/settings notifications` for every member, `/settings server` for admins, `/privacy delete`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs import schedule as scheduling
from bot.cogs.common import actor_in, guild_only
from bot.context import app_of
from bot.recording import delete_replays_hosted_by
from bot.replies import guarded, reply

__all__ = ["SettingsCog"]


class SettingsCog(commands.Cog):
    settings = app_commands.Group(name="settings", description="Your Spaces preferences and server rules")
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

    @settings.command(name="server", description="Server rules for Spaces (admins)")
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
    )
    async def server(
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
            }
            given = {key: value for key, value in changes.items() if value is not None}
            app = app_of(interaction.client)
            policy = await app.settings.update_policy(guild_only(interaction), await actor_in(interaction), **given)
            await reply(interaction, _describe(policy))

        await guarded(interaction, act, doing="change the server settings")

    @privacy.command(name="delete", description="Delete your follows, preferences and the replays of your Spaces")
    async def delete(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            app = app_of(interaction.client)
            await app.settings.delete_member_data(interaction.user.id)
            replays = app.audio.replays if app.audio is not None else None
            gone = await delete_replays_hosted_by(app.spaces, replays, interaction.user.id)
            await reply(
                interaction,
                f"Done: your follows (both ways), your preferences and the replays of Spaces you hosted ({gone}) "
                "are deleted.",
            )

        await guarded(interaction, act, doing="delete your data")


def _describe(policy: object) -> str:
    fields = ("feed_channel_id", "stage_category_id", "speaker_limit", "grace_seconds", "moderator_role_id")
    lines = [f"{name}: {getattr(policy, name, None)}" for name in fields]
    rule = getattr(policy, "hosting_rule", None)
    if rule is not None:
        lines.append(f"min_followers: {rule.min_followers}, host roles: {sorted(rule.required_role_ids) or 'any'}")
    offsets = getattr(policy, "reminder_offsets", None)
    lines.append(f"reminders: {', '.join(_duration(o) for o in offsets) if offsets else 'the bot default'}")
    currency, fee = getattr(policy, "ticket_currency", None), getattr(policy, "ticket_fee_bps", None)
    if currency is not None and fee is not None:
        lines.append(f"tickets: prices in {currency.upper()}, server fee {fee / 100:g} % (with host payouts)")
    return "Server settings saved:\n" + "\n".join(lines)


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s" if seconds else "0"
