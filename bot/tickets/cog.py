"""`/space tickets|sales|refund` (bodies here, declared on `/space` in `bot.spaces.cog`), `/payouts setup`, and the
doorman of gated Stages (a member without a ticket who still gets onto one is moved out and told how to buy).

Each body parses, makes one service call and renders, privately. Who may do what is decided by the services
(`TicketService` raises `NotAllowed` for anyone but the host or an admin), never by what Discord showed.
"""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands import actor_in, guild_only
from bot.context import app_of
from bot.replies import NO_MENTIONS, guarded, reply
from bot.tickets.gate import TicketGate
from bot.tickets.render import host_refund_text, offer_line, sales_text
from bot.tickets.views import tickets_of
from spaces_core.domain.errors import NotFound
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace

__all__ = ["PayoutsCog", "TicketDoorCog", "refund", "sales", "set_tickets", "ticket_candidates"]


async def ticket_candidates(interaction: discord.Interaction, actor: Actor) -> list[ScheduledSpace]:
    """This server's live ticketed Spaces, the member's own live one, then its upcoming Spaces (soonest first)."""
    app = app_of(interaction.client)
    schedules = app_of(interaction.client).schedules
    guild_id = guild_only(interaction)
    live = app.tickets.gated_in(guild_id)
    own_live = await app.spaces.live_of_host(actor.user_id)
    if own_live is not None and own_live.guild_id == guild_id:
        opened = await schedules.of_live_space(own_live.id)
        live += [opened] if opened is not None and all(s.id != opened.id for s in live) else []
    return live + await schedules.upcoming(guild_id, actor.user_id)


async def target_schedule(interaction: discord.Interaction, actor: Actor, title: str | None) -> ScheduledSpace:
    """The Space a ticket command is about: the one titled `title` (its start, case-insensitive) among this
    server's live and upcoming Spaces, else the member's own live ticketed Space, else their next upcoming one.
    Whether they may act on it is the service's decision, not this lookup's."""
    candidates = await ticket_candidates(interaction, actor)
    if title:
        wanted = title.strip().casefold()
        found = [s for s in candidates if s.title.casefold().startswith(wanted)]
        if not found:
            raise NotFound("No live or upcoming Space here has that title.")
        return found[0]
    own = [s for s in candidates if s.host_id == actor.user_id]
    if not own:
        raise NotFound("You have no live or upcoming Space. Schedule one with `/space schedule`, or name one.")
    return own[0]


async def set_tickets(interaction: discord.Interaction, price: int, quantity: int | None, space: str | None) -> None:
    async def act() -> None:
        actor = await actor_in(interaction)
        tickets = tickets_of(interaction.client)
        schedule = await target_schedule(interaction, actor, space)
        # Setting the offer runs its handlers (the card, the waitlist's Checkouts) before it returns: over
        # Discord's three seconds on a busy machine (a fresh CI run answered 10062 Unknown interaction).
        await interaction.response.defer(ephemeral=True, thinking=True)
        offer = await tickets.set_offer(actor=actor, schedule_id=schedule.id, price=price, quantity=quantity)
        await reply(
            interaction,
            f"🎟️ **{schedule.title}** is ticketed: {offer_line(offer)}. Its card now has a **Buy ticket** button; "
            "when it goes live, only ticket holders (and you, co-hosts and moderators) can join the Stage.",
        )

    await guarded(interaction, act, doing="set the ticket price")


async def sales(interaction: discord.Interaction, space: str | None) -> None:
    async def act() -> None:
        actor = await actor_in(interaction)
        tickets = tickets_of(interaction.client)
        schedule = await target_schedule(interaction, actor, space)
        report = await tickets.sales(actor=actor, schedule_id=schedule.id)
        export = discord.File(io.BytesIO(report.csv().encode()), filename=f"sales-{schedule.id[:8]}.csv")
        await interaction.response.send_message(
            sales_text(report, schedule.title), file=export, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    await guarded(interaction, act, doing="show the sales")


async def refund(interaction: discord.Interaction, member: discord.Member, space: str | None) -> None:
    async def act() -> None:
        actor = await actor_in(interaction)
        tickets = tickets_of(interaction.client)
        schedule = await target_schedule(interaction, actor, space)
        await interaction.response.defer(ephemeral=True, thinking=True)  # Stripe answers in its own time
        order = await tickets.refund_member(actor=actor, schedule_id=schedule.id, user_id=member.id)
        await reply(interaction, host_refund_text(order, schedule, member.mention))

    await guarded(interaction, act, doing="refund that ticket")


class PayoutsCog(commands.Cog):
    payouts = app_commands.Group(name="payouts", description="Get paid for your ticketed Spaces", guild_only=True)

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @payouts.command(name="setup", description="Connect a Stripe account so your ticket sales are paid to you")
    async def setup(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            service = app_of(interaction.client).tickets.payouts()  # off: says how to enable tickets
            await interaction.response.defer(ephemeral=True, thinking=True)
            done = await service.setup(interaction.user.id)
            if done.onboarding_url is None:
                text = (
                    "✅ Your payouts are set up: tickets of your Spaces are paid to your Stripe account "
                    f"(`{done.account.account_id}`), less this server's fee."
                )
            else:
                text = (
                    "Finish setting up payouts on Stripe (the link works once and expires within minutes; run "
                    f"`/payouts setup` again for a new one): {done.onboarding_url}\n"
                    "Until it's done, ticket sales go to this server's own Stripe account."
                )
            await reply(interaction, text)

        await guarded(interaction, act, doing="set up your payouts")


class TicketDoorCog(commands.Cog):
    """A member who reaches a gated Stage without a ticket (they were there before the doors closed, or an
    admin's overwrite let them in) is moved out and DMed how to buy one. Loaded only when tickets are on
    (bot.bootstrap), so it never asks whether they are."""

    def __init__(self, gate: TicketGate) -> None:
        self._gate = gate

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.bot or after.channel is None or before.channel == after.channel:
            return
        schedule = self._gate.gated_on(after.channel.id)
        if schedule is not None:
            await self._gate.turn_away(member, schedule)
