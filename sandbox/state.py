"""The whole in-memory Discord: lookups, and the state changes that Discord announces over the gateway.

Every mutation that a real Discord would broadcast goes through ``World.emit`` so the bot's cache stays true;
the gateway installs itself as the emitter. REST handlers and the harness share these methods so that a
member's action (harness) and the bot's action (REST) change the world the same way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sandbox.errors import not_found
from sandbox.models import (
    CHANNEL_DM,
    Application,
    Channel,
    Guild,
    Snowflakes,
    User,
    VoiceState,
    iso,
    utcnow,
)
from sandbox.payloads import member_payload, user_payload, voice_state_payload
from sandbox.permissions import base_permissions

__all__ = ["Emitter", "World"]

JSON = dict[str, Any]
# (event name, data, guild id the event belongs to or None, bot user id for a direct event or None)
Emitter = Callable[[str, JSON, int | None, int | None], None]


class World:
    def __init__(self) -> None:
        self.ids = Snowflakes()
        self.users: dict[int, User] = {}
        self.apps: dict[int, Application] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}  # guild channels and DM channels, by id
        self.messages: dict[int, dict[int, JSON]] = {}  # channel id -> message id -> payload
        self.ephemeral: dict[int, JSON] = {}  # ephemeral messages by id: never in a channel's history
        self.dm_refused: set[int] = set()
        self.uploads: dict[int, bytes] = {}  # attachment id -> the file's bytes, as the bot uploaded it
        self._emit: Emitter = lambda *_: None

    # -- wiring -------------------------------------------------------------------------------------------
    def set_emitter(self, emitter: Emitter) -> None:
        self._emit = emitter

    def emit(self, event: str, data: JSON, *, guild_id: int | None = None, bot_user_id: int | None = None) -> None:
        self._emit(event, data, guild_id, bot_user_id)

    # -- lookups ------------------------------------------------------------------------------------------
    def app_for_token(self, token: str) -> Application | None:
        return next((a for a in self.apps.values() if secrets.compare_digest(a.token, token)), None)

    def app(self, app_id: int) -> Application:
        try:
            return self.apps[app_id]
        except KeyError:
            raise not_found("application") from None

    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise not_found("user") from None

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise not_found("guild") from None

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise not_found("channel") from None

    def guild_channel(self, channel_id: int) -> tuple[Guild, Channel]:
        channel = self.channel(channel_id)
        if channel.guild_id is None:
            raise not_found("channel")
        return self.guilds[channel.guild_id], channel

    def message(self, channel_id: int, message_id: int) -> JSON:
        try:
            return self.messages[channel_id][message_id]
        except KeyError:
            raise not_found("message") from None

    def find_message(self, channel_id: int, message_id: int) -> JSON:
        """A channel message, or an ephemeral one (members can still click buttons on those)."""
        found = self.messages.get(channel_id, {}).get(message_id) or self.ephemeral.get(message_id)
        if found is None:
            raise not_found("message")
        return found

    def member_json(self, guild: Guild, user_id: int, *, with_permissions: bool = False) -> JSON:
        member = guild.members.get(user_id)
        if member is None:
            raise not_found("member")
        perms = base_permissions(guild, user_id) if with_permissions else None
        return member_payload(member, self.users[user_id], permissions=perms)

    # -- users and DMs --------------------------------------------------------------------------------------
    def add_user(self, name: str, *, bot: bool = False) -> User:
        user = User(id=self.ids.next(), username=name, bot=bot, global_name=None if bot else name)
        self.users[user.id] = user
        return user

    def dm_channel(self, bot_user_id: int, user_id: int) -> Channel:
        """The single DM channel between a bot and a user (created on first use, like Discord)."""
        pair = sorted((bot_user_id, user_id))
        for channel in self.channels.values():
            if channel.type == CHANNEL_DM and sorted(channel.recipient_ids) == pair:
                return channel
        channel = Channel(id=self.ids.next(), type=CHANNEL_DM, recipient_ids=[bot_user_id, user_id])
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        return channel

    def dm_peer(self, channel: Channel, bot_user_id: int) -> int:
        return next(u for u in channel.recipient_ids if u != bot_user_id)

    # -- messages -----------------------------------------------------------------------------------------
    def new_message(self, channel: Channel, author: User, body: JSON, **extra: Any) -> JSON:
        """Build a message payload from a create body (content, embeds, components, flags...)."""
        message: JSON = {
            "id": str(self.ids.next()),
            "type": extra.pop("type", 0),
            "channel_id": str(channel.id),
            "author": user_payload(author),
            "content": body.get("content") or "",
            "timestamp": iso(utcnow()),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": body.get("attachments") or [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "flags": int(body.get("flags") or 0),
            "allowed_mentions": body.get("allowed_mentions"),
            "sticker_items": [],
        }
        if channel.guild_id is not None:
            message["guild_id"] = str(channel.guild_id)
            guild = self.guilds[channel.guild_id]
            if author.id in guild.members:
                member = self.member_json(guild, author.id)
                member.pop("user")
                message["member"] = member
        message.update(extra)
        return message

    def post_message(self, channel: Channel, message: JSON, *, bot_user_id: int | None = None) -> JSON:
        """Store a message and announce MESSAGE_CREATE (not ephemeral ones: only their member sees them)."""
        if int(message.get("flags") or 0) & 64:
            return message
        self.messages.setdefault(channel.id, {})[int(message["id"])] = message
        channel.last_message_id = int(message["id"])
        self.emit("MESSAGE_CREATE", message, guild_id=channel.guild_id, bot_user_id=self._dm_bot(channel))
        return message

    def edit_message(self, channel: Channel, message: JSON, body: JSON) -> JSON:
        for key in ("content", "embeds", "components", "flags", "attachments", "allowed_mentions"):
            if key in body and body[key] is not None:
                message[key] = body[key]
            elif key in body and key in ("embeds", "components", "attachments"):
                message[key] = []
        message["edited_timestamp"] = iso(utcnow())
        if not int(message.get("flags") or 0) & 64:
            self.emit("MESSAGE_UPDATE", message, guild_id=channel.guild_id, bot_user_id=self._dm_bot(channel))
        return message

    def delete_message(self, channel: Channel, message_id: int) -> None:
        if self.ephemeral.pop(message_id, None) is not None:
            return
        self.messages.get(channel.id, {}).pop(message_id, None)
        data: JSON = {"id": str(message_id), "channel_id": str(channel.id)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.emit("MESSAGE_DELETE", data, guild_id=channel.guild_id, bot_user_id=self._dm_bot(channel))

    def _dm_bot(self, channel: Channel) -> int | None:
        if channel.type != CHANNEL_DM:
            return None
        return next((u for u in channel.recipient_ids if self.users[u].bot), None)

    # -- voice ----------------------------------------------------------------------------------------------
    def announce_voice_state(self, guild: Guild, state: VoiceState) -> None:
        member = self.member_json(guild, state.user_id) if state.user_id in guild.members else None
        self.emit("VOICE_STATE_UPDATE", voice_state_payload(state, member), guild_id=guild.id)
        if state.channel_id is None:
            guild.voice_states.pop(state.user_id, None)
        else:
            guild.voice_states[state.user_id] = state

    def announce_member(self, guild: Guild, user_id: int) -> None:
        data = self.member_json(guild, user_id)
        data["guild_id"] = str(guild.id)
        self.emit("GUILD_MEMBER_UPDATE", data, guild_id=guild.id)
