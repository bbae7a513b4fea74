"""Buttons of scheduled Spaces: **Remind me** on the upcoming card, **Start now** in the host's DM.

`DynamicItem`s like the live card's buttons: the scheduled Space's id is in the custom_id, so a card posted
before a restart still works. The services re-check everything (state, who is the host).
"""

from __future__ import annotations

import discord

from bot.buttons import IdButton
from bot.context import app_of
from bot.replies import guarded, reply
from bot.tickets.views import ticket_button
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState
from spaces_core.domain.tickets import TicketOffer

__all__ = ["RemindMe", "StartNow", "register_schedule_components", "start_view", "upcoming_view"]


class RemindMe(IdButton, action="remind"):
    label = "Remind me"
    emoji = "🔔"
    style = discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            schedule, on = await app_of(interaction.client).schedules.toggle_reminder(
                self.target_id, interaction.user.id
            )
            if on:
                text = f"🔔 I'll DM you before **{schedule.title}** starts. Press again to stop."
            else:
                text = f"🔕 No more reminders for **{schedule.title}**."
            await reply(interaction, text)

        await guarded(interaction, act, doing="set your reminder")


class StartNow(IdButton, action="go"):
    label = "Start now"
    emoji = "🎙️"
    style = discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            # Only the id matters here (the service checks it is the host's); the full Actor, with the roles
            # the hosting rule needs, is built from the guild member when the Space opens.
            app = app_of(interaction.client)
            space = await app.schedules.start_now(self.target_id, Actor(interaction.user.id))
            text = f"You're live in <#{space.channel_id}>. Join it: you'll be on stage as the host."
            why_off = app.server_audio.why_off(space)  # another Space has the server's audio, say
            await reply(interaction, text if why_off is None else f"{text}\n⚠️ {why_off}")

        await guarded(interaction, act, doing="start the Space")


def upcoming_view(
    schedule: ScheduledSpace, offer: TicketOffer | None = None, page: str | None = None
) -> discord.ui.View | None:
    """Remind me (and Open in a browser, with the web server's `page`) while it is upcoming; Buy ticket (or Join
    waitlist) while tickets are on sale, live included."""
    view = discord.ui.View(timeout=None)
    if schedule.is_upcoming:
        view.add_item(RemindMe(schedule.id))
        if page is not None:
            view.add_item(discord.ui.Button(label="Open in a browser", emoji="🌐", url=page))
    if offer is not None and schedule.state in (ScheduleState.UPCOMING, ScheduleState.LIVE):
        view.add_item(ticket_button(offer))
    return view if view.children else None


def start_view(schedule: ScheduledSpace) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(StartNow(schedule.id))
    return view


def register_schedule_components(client: discord.Client) -> None:
    client.add_dynamic_items(RemindMe, StartNow)
