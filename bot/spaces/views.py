"""Buttons on Space cards, on the control panel and on invitations.

Each is a `DynamicItem`: its state (Space id, member id) lives in the custom_id, so the buttons on a card
posted before a restart still work once `register_components` has run at start-up. Every callback re-checks
permissions through the services: a button being visible proves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import discord

from bot.buttons import SID, IdButton
from bot.commands import actor_in
from bot.context import app_of
from bot.limits import ACTION_ROWS, SELECT_OPTIONS, fit_lines
from bot.replies import guarded, reply
from bot.tickets.views import ticket_button
from spaces_core.domain.rules import ALLOWED_REACTIONS
from spaces_core.domain.space import Space
from spaces_core.domain.tickets import TicketOffer

__all__ = [
    "approval_view",
    "card_view",
    "invite_view",
    "listen_url",
    "panel_text",
    "register_components",
    "share_for",
    "share_text",
]

UID = r"(?P<uid>[0-9]{15,21})"
BUTTON_HANDS = ACTION_ROWS - 1  # the last row holds the menu of the hands further down
SELECT_LABEL = 100
Button = discord.ui.Button[Any]


class RequestToSpeak(IdButton, action="req"):
    label = "Request to speak"
    emoji = "✋"
    style = discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            spaces = app_of(interaction.client).spaces
            space = await spaces.get(self.target_id)
            if interaction.user.id in space.queue:
                await spaces.cancel_request(self.target_id, interaction.user.id)
                await reply(interaction, "You lowered your hand.")
                return
            space = await spaces.request_to_speak(self.target_id, interaction.user.id)
            position = space.queue.index(interaction.user.id) + 1
            await reply(
                interaction,
                f"✋ You asked to speak — you're number {position} in the queue. Press again to cancel.",
            )

        await guarded(interaction, act, doing="raise your hand")


class React(discord.ui.DynamicItem[Button], template=rf"sp:react:{SID}:(?P<idx>[0-9])"):
    def __init__(self, space_id: str, index: int) -> None:
        super().__init__(
            discord.ui.Button(
                emoji=ALLOWED_REACTIONS[index],
                style=discord.ButtonStyle.secondary,
                custom_id=f"sp:react:{space_id}:{index}",
            )
        )
        self.space_id, self.index = space_id, index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Any:
        index = int(match["idx"])
        return cls(match["sid"], index if index < len(ALLOWED_REACTIONS) else 0)

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            emoji = ALLOWED_REACTIONS[self.index]
            await app_of(interaction.client).spaces.react(self.space_id, interaction.user.id, emoji)
            await reply(interaction, f"You reacted {emoji}")

        await guarded(interaction, act, doing="add your reaction")


class FollowHost(IdButton, action="follow"):
    label = "Follow host"
    emoji = "➕"

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            app = app_of(interaction.client)
            space = await app.spaces.get(self.target_id)
            await app.follows.follow(interaction.user.id, space.host_id)
            await reply(
                interaction,
                f"You now follow <@{space.host_id}>. I'll DM you when they go live "
                "(turn that off with `/settings notifications`).",
            )

        await guarded(interaction, act, doing="follow the host")


class Share(IdButton, action="share"):
    label = "Share"
    emoji = "🔗"

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            space = await app_of(interaction.client).spaces.get(self.target_id)
            await reply(interaction, await share_for(interaction, space))

        await guarded(interaction, act, doing="share this Space")


def listen_url(client: discord.Client, space: Space) -> str | None:
    """The Space's listen page, when the bot runs its web server."""
    return app_of(client).web.listen_url(space)


def share_text(space: Space, listen_url: str | None = None) -> str:
    link = f"https://discord.com/channels/{space.guild_id}/{space.channel_id}"
    text = f"Share this Space: **{space.title}** — {link}\nAnyone in this server can open the link to join the Stage."
    if listen_url:
        text += f"\nListen in a browser, no Discord account needed: {listen_url}"
    return text


async def share_for(interaction: discord.Interaction, space: Space) -> str:
    """The share text for whoever asks. A ticketed Space's web page needs a personal signed link: given only to
    those who may attend (holders, host, co-hosts, moderators); the others are told how to get a ticket."""
    app = app_of(interaction.client)
    listen = app.web.listen_url(space)  # none without a web server
    # No link to a page that would play silence: say why instead (another Space has the audio, or DAVE).
    why_off = app.server_audio.why_off(space) if listen else None
    if not await app.tickets.ticketed(space):
        if why_off is not None:
            return f"{share_text(space)}\n{why_off}"
        return share_text(space, listen)
    link = f"https://discord.com/channels/{space.guild_id}/{space.channel_id}"
    text = f"**{space.title}** is for ticket holders only — {link}"
    if not await app.tickets.may_attend(space, interaction.user.id):
        return text + "\nGet a ticket with the **Buy ticket** button on its card, then join the Stage."
    personal = app.web.personal_url(space.id, interaction.user.id)
    if why_off is not None:
        text += f"\n{why_off}"
    elif personal:
        text += f"\nListen in a browser with your personal link (it's yours: don't share it): {personal}"
    return text


class Decide(discord.ui.DynamicItem[Button], template=rf"sp:(?P<verdict>ok|no):{SID}:{UID}"):
    """Approve or deny one raised hand, from the control panel."""

    def __init__(self, space_id: str, user_id: int, approve: bool, label: str = "") -> None:
        verdict = "ok" if approve else "no"
        super().__init__(
            discord.ui.Button(
                label=(label or str(user_id))[:60] if approve else "Deny",
                emoji="✅" if approve else "✖️",
                style=discord.ButtonStyle.success if approve else discord.ButtonStyle.danger,
                custom_id=f"sp:{verdict}:{space_id}:{user_id}",
            )
        )
        self.space_id, self.user_id, self.approve = space_id, user_id, approve

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Any:
        return cls(match["sid"], int(match["uid"]), match["verdict"] == "ok")

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            app = app_of(interaction.client)
            actor = await actor_in(interaction)
            if self.approve:
                await app.spaces.approve(self.space_id, actor, self.user_id)
                await reply(interaction, f"<@{self.user_id}> is now a speaker.")
            else:
                await app.spaces.deny(self.space_id, actor, self.user_id)
                await reply(interaction, f"You declined <@{self.user_id}>'s request to speak.")

        await guarded(interaction, act, doing="bring that member up")


class PickHand(discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"sp:pick:{SID}"):
    """The control panel's menu of the hands further down the queue: the one picked is brought up."""

    def __init__(self, space_id: str, picks: Sequence[tuple[int, int, str]] = ()) -> None:
        options = [
            discord.SelectOption(label=f"{position}. {name}"[:SELECT_LABEL], value=str(user_id))
            for position, user_id, name in picks
        ]
        super().__init__(
            discord.ui.Select(
                placeholder="Bring up someone further down the queue…",
                options=options,
                custom_id=f"sp:pick:{space_id}",
                row=BUTTON_HANDS,
            )
        )
        self.space_id = space_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Any:
        return cls(match["sid"])  # the member's pick arrives in `self.item.values`

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            user_id = int(self.item.values[0])
            await app_of(interaction.client).spaces.approve(self.space_id, await actor_in(interaction), user_id)
            await reply(interaction, f"<@{user_id}> is now a speaker.")

        await guarded(interaction, act, doing="bring that member up")


class AnswerInvite(discord.ui.DynamicItem[Button], template=rf"sp:inv:(?P<answer>yes|no):{SID}:{UID}"):
    def __init__(self, space_id: str, user_id: int, accept: bool) -> None:
        answer = "yes" if accept else "no"
        super().__init__(
            discord.ui.Button(
                label="Accept" if accept else "Decline",
                style=discord.ButtonStyle.success if accept else discord.ButtonStyle.secondary,
                custom_id=f"sp:inv:{answer}:{space_id}:{user_id}",
            )
        )
        self.space_id, self.user_id, self.accept = space_id, user_id, accept

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Any:
        return cls(match["sid"], int(match["uid"]), match["answer"] == "yes")

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            if interaction.user.id != self.user_id:
                await reply(interaction, "This invitation is for someone else.")
                return
            spaces = app_of(interaction.client).spaces
            if self.accept:
                await spaces.accept_invite(self.space_id, self.user_id)
                await reply(interaction, "You're up! You can speak now.")
            else:
                await spaces.decline_invite(self.space_id, self.user_id)
                await reply(interaction, "No problem — you stay in the audience.")

        await guarded(interaction, act, doing="answer the invitation")


def card_view(space: Space, offer: TicketOffer | None = None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if offer is not None:
        view.add_item(ticket_button(offer))
    view.add_item(RequestToSpeak(space.id))
    view.add_item(FollowHost(space.id))
    view.add_item(Share(space.id))
    for index in range(len(ALLOWED_REACTIONS)):
        view.add_item(React(space.id, index))
    return view


def panel_text(space: Space) -> str:
    """The queue as `/space panel` lists it, within one message: "…and N more." past what fits."""
    lines = [f"{i}. <@{uid}>" for i, uid in enumerate(space.queue, start=1)]
    return fit_lines(f"**Raised hands** (first come, first served), {len(lines)} waiting:", lines)


def approval_view(space: Space, names: dict[int, str]) -> discord.ui.View:
    """One row per hand at the front of the queue, its Approve beside its Deny; the next 25 in a menu below.

    Discord allows five rows: the first `BUTTON_HANDS` get buttons, the last row is the menu."""
    view = discord.ui.View(timeout=None)
    for row, user_id in enumerate(space.queue[:BUTTON_HANDS]):
        approve = Decide(space.id, user_id, True, label=f"Approve {names.get(user_id, user_id)}")
        deny = Decide(space.id, user_id, False)
        approve.row = deny.row = row
        view.add_item(approve)
        view.add_item(deny)
    further = space.queue[BUTTON_HANDS : BUTTON_HANDS + SELECT_OPTIONS]
    if further:
        picks = [(BUTTON_HANDS + i + 1, uid, names.get(uid, str(uid))) for i, uid in enumerate(further)]
        view.add_item(PickHand(space.id, picks))
    return view


def invite_view(space: Space, user_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerInvite(space.id, user_id, True))
    view.add_item(AnswerInvite(space.id, user_id, False))
    return view


def register_components(client: discord.Client) -> None:
    client.add_dynamic_items(RequestToSpeak, React, FollowHost, Share, Decide, PickHand, AnswerInvite)
