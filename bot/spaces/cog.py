"""`/space start|end|share|panel|pin|unpin`: opening, closing and running a Space.

Moderation of members (approve, invite, move, mute, remove, block, co-hosts) lives in `bot.spaces.moderation`.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.captions import commands as captioning
from bot.commands import actor_in, guild_only, resolve_space
from bot.context import app_of
from bot.hls import commands as broadcasting
from bot.permissions import require_bot_permissions
from bot.recording import cog as recording
from bot.replies import guarded, reply
from bot.schedules import cog as scheduling
from bot.spaces import pickers
from bot.spaces.embeds import card_embed, summary_embed
from bot.spaces.views import approval_view, panel_text, share_for
from bot.stats import command as host_stats
from bot.tickets import cog as ticketing
from bot.transcripts import cog as transcripts
from spaces_core.domain.errors import InvalidInput, NotFound
from spaces_core.domain.roles import Action, Actor, require
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space

__all__ = ["SpaceCog"]

Vocal = discord.StageChannel | discord.VoiceChannel


def _is_community(guild: discord.Guild) -> bool:
    return "COMMUNITY" in guild.features


async def pick_channel(interaction: discord.Interaction, given: Vocal | None, title: str) -> Vocal:
    """The Stage to open: the one given, the one the host stands in, or a new one in the configured category."""
    guild = interaction.guild
    if guild is None:
        raise InvalidInput("Spaces live in servers: run this command in a server, not in DMs.")
    channel: discord.abc.GuildChannel | None = given
    user = interaction.user
    if channel is None and isinstance(user, discord.Member) and user.voice is not None:
        channel = user.voice.channel
    if channel is None:
        policy = await app_of(interaction.client).settings.policy(guild.id)
        category = guild.get_channel(policy.stage_category_id) if policy.stage_category_id else None
        if isinstance(category, discord.CategoryChannel) and _is_community(guild):
            require_bot_permissions(category)
            return await guild.create_stage_channel(title[:100], category=category, reason="New Space")
        raise InvalidInput("Pick a Stage channel with the `channel` option, or join one first.")
    if isinstance(channel, discord.StageChannel):
        return channel
    if isinstance(channel, discord.VoiceChannel) and not _is_community(guild):
        return channel  # no Stage channels without Community: run the Space on a voice channel
    kind = "voice" if isinstance(channel, discord.VoiceChannel) else "text"
    raise InvalidInput(f"{channel.mention} is a {kind} channel. Spaces run on Stage channels here: pick one.")


class SpaceCog(commands.Cog):
    space = app_commands.Group(name="space", description="Live audio Spaces on Stage channels", guild_only=True)

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @space.command(name="start", description="Go live: open a Space on a Stage channel (or your scheduled one)")
    @app_commands.describe(
        title="What is this Space about? (70 characters at most; your scheduled Space keeps its own if empty)",
        topics="Up to 3 topics, separated by commas",
        channel="The Stage to use (default: the one you are in)",
    )
    async def start(
        self,
        interaction: discord.Interaction,
        title: str | None = None,
        topics: str | None = None,
        channel: Vocal | None = None,
    ) -> None:
        async def act() -> None:
            app = app_of(interaction.client)
            guild_id = guild_only(interaction)
            actor = await actor_in(interaction)
            await interaction.response.defer(ephemeral=True, thinking=True)
            scheduled = await _scheduled_to_open(interaction, channel, actor)
            if scheduled is not None:
                await _open_scheduled(interaction, scheduled, actor, title, topics)
                return
            if not title or not title.strip():
                raise InvalidInput("Give your Space a title: `/space start title:...`.")
            stage = await pick_channel(interaction, channel, title)
            require_bot_permissions(stage)
            try:
                space = await app.spaces.start_space(
                    guild_id=guild_id, channel_id=stage.id, actor=actor, title=title, topics=topics or ""
                )
            except discord.HTTPException:
                await _end_unopened(interaction, actor)
                raise
            # Members already standing on the Stage are counted (and, on a voice channel, muted) right away.
            present = {member.id for member in stage.members if not member.bot}
            space = await app.spaces.reconcile(guild_id, stage.id, present) or space
            text = _started_text(space, interaction.user) + _audio_note(interaction, space)
            await reply(interaction, text, embed=card_embed(space))

        await guarded(interaction, act, doing="open the Stage")

    @space.command(name="end", description="End your Space for everyone")
    async def end(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            app = app_of(interaction.client)
            space = await resolve_space(interaction)
            await interaction.response.defer(ephemeral=True, thinking=True)
            ended = await app.spaces.end_space(space.id, await actor_in(interaction))
            summary = ended.summary(ended.ended_at or ended.created_at)
            await reply(interaction, "Your Space has ended. Thanks for hosting!", embed=summary_embed(ended, summary))

        await guarded(interaction, act, doing="end the Space")

    @space.command(name="share", description="Get a link to share this Space")
    async def share(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            try:
                space = await resolve_space(interaction)
            except NotFound:  # nothing live: an upcoming Space planned here, or the member's own, has a page too
                upcoming = await scheduling.share_upcoming(interaction)
                if upcoming is None:
                    raise
                await reply(interaction, upcoming)
                return
            await reply(interaction, await share_for(interaction, space))

        await guarded(interaction, act, doing="share the Space")

    @space.command(name="panel", description="Host controls: the queue of raised hands")
    async def panel(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            space = await resolve_space(interaction)
            actor = await actor_in(interaction)
            require(space, actor, Action.APPROVE_REQUEST)
            names = _names(interaction.guild, space.queue)
            if not space.queue:
                await reply(interaction, "No raised hands right now.", embed=card_embed(space))
                return
            await reply(interaction, panel_text(space), view=approval_view(space, names))

        await guarded(interaction, act, doing="open the control panel")

    @space.command(name="pin", description="Pin a link on the Space card (up to 5)")
    async def pin(self, interaction: discord.Interaction, url: str) -> None:
        async def act() -> None:
            space = await resolve_space(interaction)
            await app_of(interaction.client).spaces.pin_link(space.id, await actor_in(interaction), url)
            await reply(interaction, f"Pinned {url} on the card.")

        await guarded(interaction, act, doing="pin the link")

    @space.command(name="unpin", description="Remove a pinned link from the Space card")
    @app_commands.describe(url="The pinned link (pick one), or #2 for the second on the card")
    @app_commands.autocomplete(url=pickers.pinned_links)
    async def unpin(self, interaction: discord.Interaction, url: str) -> None:
        async def act() -> None:
            space = await resolve_space(interaction)
            which = _link_or_position(url)
            gone = space.links[which] if isinstance(which, int) and 0 <= which < len(space.links) else url
            await app_of(interaction.client).spaces.unpin_link(space.id, await actor_in(interaction), which)
            await reply(interaction, f"Unpinned {gone}.")

        await guarded(interaction, act, doing="unpin the link")

    # Scheduled Spaces share the `/space` group; their bodies live in `bot.schedules.cog`.
    @space.command(name="schedule", description="Plan a Space: a Discord event, a card with Remind me, reminders")
    @app_commands.describe(
        title="What is this Space about? (70 characters at most)",
        when="e.g. friday 8pm, tomorrow 18:00, in 90 minutes, Dec 24 7pm (read in your time zone)",
        topics="Up to 3 topics, separated by commas",
        channel="The Stage it will run on (default: the one you are in)",
    )
    async def schedule(
        self,
        interaction: discord.Interaction,
        title: str,
        when: str,
        topics: str | None = None,
        channel: Vocal | None = None,
    ) -> None:
        await scheduling.schedule(interaction, title, when, topics, channel)

    @space.command(name="reschedule", description="Move your upcoming Space (everyone reminded is told)")
    @app_commands.describe(
        when="The new time, e.g. friday 8pm or tomorrow 18:00 (read in your time zone)",
        title="Which of your upcoming Spaces (default: the next one)",
    )
    @app_commands.autocomplete(title=pickers.my_scheduled)
    async def reschedule(self, interaction: discord.Interaction, when: str, title: str | None = None) -> None:
        await scheduling.reschedule(interaction, when, title)

    @space.command(name="cancel", description="Cancel your upcoming Space (everyone reminded is told)")
    @app_commands.describe(title="Which of your upcoming Spaces (default: the next one)")
    @app_commands.autocomplete(title=pickers.my_scheduled)
    async def cancel(self, interaction: discord.Interaction, title: str | None = None) -> None:
        await scheduling.cancel(interaction, title)

    @space.command(name="upcoming", description="Upcoming Spaces here, hosts you follow first")
    async def upcoming(self, interaction: discord.Interaction) -> None:
        await scheduling.upcoming(interaction)

    # Tickets share the `/space` group; their bodies live in `bot.tickets.cog`. Prices and quantities are plain
    # integers checked by the service, so a wrong one gets the rule in words rather than Discord's bare refusal.
    @space.command(name="tickets", description="Sell tickets to your upcoming Space (host): price and seats")
    @app_commands.describe(
        price="Price of a ticket in whole units of the server's currency (1 to 999)",
        quantity="How many tickets (empty: no limit)",
        space="Which of your Spaces, by title (default: your next one)",
    )
    @app_commands.autocomplete(space=pickers.my_ticketed)
    async def tickets(
        self, interaction: discord.Interaction, price: int, quantity: int | None = None, space: str | None = None
    ) -> None:
        await ticketing.set_tickets(interaction, price, quantity, space)

    @space.command(name="sales", description="Tickets sold, gross, refunds, fees and net, with a CSV (host)")
    @app_commands.describe(space="Which Space, by title (default: your live or next one)")
    @app_commands.autocomplete(space=pickers.my_ticketed)
    async def sales(self, interaction: discord.Interaction, space: str | None = None) -> None:
        await ticketing.sales(interaction, space)

    @space.command(name="refund", description="Refund one member's ticket (host)")
    @app_commands.describe(member="Whose ticket", space="Which Space, by title (default: your live or next one)")
    @app_commands.autocomplete(space=pickers.my_ticketed)
    async def refund(self, interaction: discord.Interaction, member: discord.Member, space: str | None = None) -> None:
        await ticketing.refund(interaction, member, space)

    # Recording and replays share the `/space` group; their bodies live in `bot.recording.cog`.
    @space.command(name="record", description="Recording: on/off (host, co-hosts), or leave your voice out")
    @app_commands.describe(mode="on, off, optout (leave your voice out of the recording) or optin")
    async def record(self, interaction: discord.Interaction, mode: recording.RecordMode) -> None:
        await recording.record(interaction, mode)

    @space.command(name="captions", description="Live captions in the Stage chat: on or off (host, co-hosts, speakers)")
    @app_commands.describe(mode="on or off")
    async def captions(self, interaction: discord.Interaction, mode: captioning.CaptionsMode) -> None:
        await captioning.captions(interaction, mode)

    @space.command(name="broadcast", description="Web listeners over HTTP only: no limit, a few seconds behind")
    @app_commands.describe(mode="on or off (host, co-hosts)")
    async def broadcast(self, interaction: discord.Interaction, mode: broadcasting.BroadcastMode) -> None:
        await broadcasting.broadcast(interaction, mode)

    @space.command(name="replay", description="The replay of the last recorded Space on this Stage")
    @app_commands.describe(action="play (default) or delete (host only)")
    async def replay(self, interaction: discord.Interaction, action: recording.ReplayAction = "play") -> None:
        await recording.replay(interaction, action)

    # What was said, after the fact: bodies in `bot.transcripts.cog`.
    @space.command(name="transcript", description="What was said in a Space, as .txt and WebVTT files")
    @app_commands.describe(space="Which Space (default: the latest on this Stage, or the live one)")
    @app_commands.autocomplete(space=pickers.transcribed)
    async def transcript(self, interaction: discord.Interaction, space: str | None = None) -> None:
        await transcripts.transcript(interaction, space)

    @space.command(name="search", description="Find words said in this server's past Spaces")
    @app_commands.describe(query="The words to find (the last one may be the start of a word)")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        await transcripts.search(interaction, query)

    # Host analytics: the body lives in `bot.stats.command`.
    @space.command(name="stats", description="How your Space went: listeners, talk time, hands, reactions (host)")
    @app_commands.describe(space="Which of your Spaces (default: your latest)")
    @app_commands.autocomplete(space=host_stats.my_spaces)
    async def stats(self, interaction: discord.Interaction, space: str | None = None) -> None:
        await host_stats.stats(interaction, space)


def _link_or_position(typed: str) -> str | int:
    """`#2` (what the picker sends for a link too long to be a choice's value) is the second link on the card."""
    text = typed.strip()
    if text.startswith("#") and text[1:].isdigit():
        return int(text[1:]) - 1
    return text


def _names(guild: discord.Guild | None, user_ids: list[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for user_id in user_ids:
        member = guild.get_member(user_id) if guild is not None else None
        names[user_id] = member.display_name if member is not None else str(user_id)
    return names


def _started_text(space: Space, user: discord.Member | discord.User) -> str:
    return f"You're live in <#{space.channel_id}>. {_where_you_are(space, user)}"


def _where_you_are(space: Space, user: discord.Member | discord.User) -> str:
    voice = user.voice if isinstance(user, discord.Member) else None
    if voice is not None and voice.channel is not None and voice.channel.id == space.channel_id:
        return "You're on stage as the host."
    return "Join it: you'll be brought up to speak as the host."


def _audio_note(interaction: discord.Interaction, space: Space) -> str:
    """The host hears at once which audio features this Space goes without, and why (bot/audio/server_audio.py)."""
    why_off = app_of(interaction.client).server_audio.why_off(space)
    return f"\n⚠️ {why_off}" if why_off is not None else ""


async def _end_unopened(interaction: discord.Interaction, actor: Actor) -> None:
    """The Stage did not open: don't leave a Space nobody can reach."""
    app = app_of(interaction.client)
    live = await app.spaces.live_of_host(actor.user_id)
    if live is not None:
        await app.spaces.end_space(live.id, actor)


# -- a scheduled Space opened with /space start --------------------------------------------------------------


async def _scheduled_to_open(
    interaction: discord.Interaction, given: Vocal | None, actor: Actor
) -> ScheduledSpace | None:
    """The host's scheduled Space due about now on the Stage they mean (the one given, the one they stand in, or
    any Stage when neither): the schedule service decides which one, if any, may be opened now."""
    app = app_of(interaction.client)
    if interaction.guild_id is None:
        return None
    user = interaction.user
    standing = user.voice.channel if isinstance(user, discord.Member) and user.voice is not None else None
    meant = given or standing
    return await app.schedules.startable_by(
        guild_id=interaction.guild_id, host_id=actor.user_id, channel_id=meant.id if meant is not None else None
    )


async def _open_scheduled(
    interaction: discord.Interaction, scheduled: ScheduledSpace, actor: Actor, title: str | None, topics: str | None
) -> None:
    """The same path as Start now, so its audience is told, its Discord event goes live and its tickets gate the
    Stage. What the host typed (title, topics) replaces the planned ones for the live Space only."""
    app = app_of(interaction.client)
    stage = interaction.guild.get_channel(scheduled.channel_id) if interaction.guild is not None else None
    if stage is None:
        raise NotFound(
            f"The Stage of your scheduled Space **{scheduled.title}** is gone: cancel it with `/space cancel`, or "
            "pick another Stage with the `channel` option."
        )
    require_bot_permissions(stage)
    try:
        space = await app.schedules.start_now(scheduled.id, actor, title=title, topics=topics)
    except discord.HTTPException:
        await _end_unopened(interaction, actor)
        raise
    offer = await app.tickets.offer(scheduled.id)
    text = _opened_text(scheduled, space, interaction.user, ticketed=offer is not None) + _audio_note(
        interaction, space
    )
    await reply(interaction, text, embed=card_embed(space, offer))


def _opened_text(
    scheduled: ScheduledSpace, space: Space, user: discord.Member | discord.User, *, ticketed: bool
) -> str:
    due = int(scheduled.starts_at.timestamp())
    lines = [
        f"You're live in <#{space.channel_id}> with your scheduled Space **{scheduled.title}** (due <t:{due}:R>): "
        "its Discord event is live and everyone waiting for it is told."
    ]
    if space.title != scheduled.title:
        lines.append(
            f"It runs as **{space.title}**, the title you typed; its event and reminders keep the planned one."
        )
    if ticketed:
        lines.append("🎟️ Only ticket holders, your co-hosts and moderators can join the Stage.")
    lines.append(_where_you_are(space, user))
    return "\n".join(lines)
