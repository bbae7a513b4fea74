"""Creating guilds, roles, channels and members, and what members do in voice — each change announced on the
gateway exactly as Discord would (GUILD_CREATE when a bot joins, GUILD_MEMBER_ADD, VOICE_STATE_UPDATE...).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sandbox.errors import ConnectRefused
from sandbox.models import (
    CHANNEL_CATEGORY,
    CHANNEL_STAGE,
    CHANNEL_TEXT,
    CHANNEL_VOICE,
    Channel,
    Guild,
    Member,
    Overwrite,
    Role,
    VoiceState,
    utcnow,
)
from sandbox.payloads import channel_payload, guild_create_payload, role_payload, user_payload
from sandbox.permissions import CONNECT, DEFAULT_EVERYONE, channel_permissions
from sandbox.state import World

if TYPE_CHECKING:
    from sandbox.harness import BotAccount

__all__ = ["Population"]

JSON = dict[str, Any]


class Population:
    def __init__(self, world: World) -> None:
        self.world = world

    async def flush(self) -> None:  # overridden by LocalDiscord: wait for the gateway writers
        return None

    # -- guild structure ----------------------------------------------------------------------------------
    def add_guild(
        self, name: str, community: bool = True, owner_name: str = "Owner", shard: tuple[int, int] | None = None
    ) -> Guild:
        """`shard`: (id, count), a guild whose events go to that shard when the bot runs `count` shards."""
        owner = self.world.add_user(owner_name)
        gid = self.world.ids.next() if shard is None else self.world.ids.next_on_shard(*shard)
        guild = Guild(id=gid, name=name, owner_id=owner.id)
        if community:
            guild.features = ["COMMUNITY", "NEWS"]
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", DEFAULT_EVERYONE)  # @everyone id == guild id
        guild.members[owner.id] = Member(owner.id, guild.id)
        self.world.guilds[guild.id] = guild
        return guild

    def add_role(self, guild_id: int, name: str, permissions: int = 0) -> int:
        guild = self.world.guild(guild_id)
        role = Role(self.world.ids.next(), guild.id, name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        self.world.emit("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role_payload(role)}, guild_id=guild.id)
        return role.id

    def _add_channel(self, guild_id: int, name: str, kind: int, parent_id: int | None) -> int:
        guild = self.world.guild(guild_id)
        if kind == CHANNEL_STAGE and "COMMUNITY" not in guild.features:
            raise ValueError("Stage channels need a COMMUNITY guild (add_guild(..., community=True))")
        channel = Channel(self.world.ids.next(), kind, name, guild.id, len(guild.channels), parent_id)
        guild.channels[channel.id] = channel
        self.world.channels[channel.id] = channel
        self.world.messages[channel.id] = {}
        self.world.emit("CHANNEL_CREATE", channel_payload(channel), guild_id=guild.id)
        return channel.id

    def add_text_channel(self, guild_id: int, name: str, parent_id: int | None = None) -> int:
        return self._add_channel(guild_id, name, CHANNEL_TEXT, parent_id)

    def add_voice_channel(self, guild_id: int, name: str, parent_id: int | None = None) -> int:
        return self._add_channel(guild_id, name, CHANNEL_VOICE, parent_id)

    def add_stage_channel(self, guild_id: int, name: str, parent_id: int | None = None) -> int:
        return self._add_channel(guild_id, name, CHANNEL_STAGE, parent_id)

    def add_category(self, guild_id: int, name: str) -> int:
        return self._add_channel(guild_id, name, CHANNEL_CATEGORY, None)

    def set_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0, member: bool = False
    ) -> None:
        guild, channel = self.world.guild_channel(channel_id)
        channel.overwrites[target_id] = Overwrite(target_id, 1 if member else 0, allow, deny)
        self.world.emit("CHANNEL_UPDATE", channel_payload(channel), guild_id=guild.id)

    # -- members ------------------------------------------------------------------------------------------
    def add_member(self, guild_id: int, name: str, roles: tuple[int, ...] | list[int] = (), bot: bool = False) -> int:
        guild = self.world.guild(guild_id)
        user = self.world.add_user(name, bot=bot)
        guild.members[user.id] = Member(user.id, guild.id, roles=list(roles))
        data = self.world.member_json(guild, user.id)
        self.world.emit("GUILD_MEMBER_ADD", {**data, "guild_id": str(guild.id)}, guild_id=guild.id)
        return user.id

    def set_roles(self, guild_id: int, user_id: int, roles: list[int]) -> None:
        guild = self.world.guild(guild_id)
        guild.members[user_id].roles = list(roles)
        self.world.announce_member(guild, user_id)

    def remove_member(self, guild_id: int, user_id: int) -> None:
        guild = self.world.guild(guild_id)
        state = guild.voice_states.get(user_id)
        if state is not None:
            state.channel_id = None
            self.world.announce_voice_state(guild, state)
        del guild.members[user_id]
        user = user_payload(self.world.users[user_id])
        self.world.emit("GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": user}, guild_id=guild.id)
        if self.world.users[user_id].bot:  # a bot removed from a guild hears it as that guild's deletion
            self.world.emit("GUILD_DELETE", {"id": str(guild.id)}, bot_user_id=user_id)

    def add_bot_to_guild(self, guild_id: int, bot: BotAccount, permissions: int) -> int:
        """Invite the bot: it becomes a member with its managed role, and gets GUILD_CREATE if connected."""
        guild = self.world.guild(guild_id)
        name = self.world.users[bot.user_id].username
        role = Role(self.world.ids.next(), guild.id, name, permissions, len(guild.roles), managed=True)
        role.bot_id = bot.user_id
        guild.roles[role.id] = role
        guild.members[bot.user_id] = Member(bot.user_id, guild.id, roles=[role.id])
        # A guild joined while connected comes without "unavailable" (clients tell a join from a guild coming back
        # after an outage, which carries unavailable: false, by it).
        joined = guild_create_payload(guild, self.world.users)
        joined.pop("unavailable", None)
        self.world.emit("GUILD_CREATE", joined, bot_user_id=bot.user_id)
        return role.id

    # -- what members do ----------------------------------------------------------------------------------
    async def join_voice(self, guild_id: int, user_id: int, channel_id: int, *, self_mute: bool = False) -> None:
        """The member joins (or moves to) a voice or Stage channel; on a Stage everyone starts as audience.

        Raises ``ConnectRefused`` when the member lacks Connect there (a gated Stage, say), as Discord would."""
        guild = self.world.guild(guild_id)
        channel = guild.channels[channel_id]
        if channel.type not in (CHANNEL_VOICE, CHANNEL_STAGE):
            raise ValueError(f"channel {channel_id} is not a voice or Stage channel")
        if not channel_permissions(guild, channel, user_id) & CONNECT:
            raise ConnectRefused(user_id, channel_id, channel.name)
        member = guild.members[user_id]
        state = VoiceState(
            guild.id, user_id, channel_id, secrets.token_hex(16), self_mute=self_mute,
            mute=member.mute, deaf=member.deaf, suppress=channel.type == CHANNEL_STAGE,
        )  # fmt: skip
        self.world.announce_voice_state(guild, state)
        await self.flush()

    async def leave_voice(self, guild_id: int, user_id: int) -> None:
        guild = self.world.guild(guild_id)
        state = guild.voice_states.get(user_id)
        if state is not None:
            state.channel_id = None
            self.world.announce_voice_state(guild, state)
        await self.flush()

    async def _hand(self, guild_id: int, user_id: int, raised: bool) -> None:
        guild = self.world.guild(guild_id)
        state = guild.voice_states.get(user_id)
        if state is None or state.channel_id is None or guild.channels[state.channel_id].type != CHANNEL_STAGE:
            raise ValueError("only a member in a Stage channel can raise or lower a hand")
        state.request_to_speak_timestamp = utcnow() if raised else None
        self.world.announce_voice_state(guild, state)
        await self.flush()

    async def raise_hand(self, guild_id: int, user_id: int) -> None:
        await self._hand(guild_id, user_id, True)

    async def lower_hand(self, guild_id: int, user_id: int) -> None:
        await self._hand(guild_id, user_id, False)

    async def set_self_mute(self, guild_id: int, user_id: int, muted: bool) -> None:
        guild = self.world.guild(guild_id)
        state = guild.voice_states[user_id]
        state.self_mute = muted
        self.world.announce_voice_state(guild, state)
        await self.flush()

    async def post_message(self, channel_id: int, user_id: int, content: str) -> JSON:
        """A member (or the DM recipient) writes in a channel; the bot gets MESSAGE_CREATE."""
        channel = self.world.channel(channel_id)
        message = self.world.new_message(channel, self.world.user(user_id), {"content": content})
        self.world.post_message(channel, message)
        await self.flush()
        return message

    async def set_event_interest(self, guild_id: int, event_id: int, user_id: int, interested: bool = True) -> None:
        """A member clicks "Interested" on a scheduled event (or takes it back)."""
        guild = self.world.guild(guild_id)
        event = guild.scheduled_events[event_id]
        if interested == (user_id in event.interested):
            return
        (event.interested.append if interested else event.interested.remove)(user_id)
        name = "GUILD_SCHEDULED_EVENT_USER_ADD" if interested else "GUILD_SCHEDULED_EVENT_USER_REMOVE"
        data = {"guild_scheduled_event_id": str(event.id), "user_id": str(user_id), "guild_id": str(guild.id)}
        self.world.emit(name, data, guild_id=guild.id)
        await self.flush()
