"""``LocalDiscord``: start the local Discord, populate it and act as its members (used by tests and the demo).

    server = LocalDiscord()                       # 127.0.0.1, a free port
    await server.start()
    bot = server.add_bot("Spaces")
    guild = server.add_guild("Test server")
    server.add_bot_to_guild(guild.id, bot, permissions=ALL)
    client = discord.Client(intents=..., connector=build_connector(server.endpoint, server.ca_file))
    await client.login(bot.token); ...
    record = await server.slash(guild.id, channel_id, member_id, "space start", title="AMA")
    await server.stop()

Everything a member does goes through the same state changes and gateway events as on Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox.app import build_app
from sandbox.app_command_access import visible_commands
from sandbox.builders import command_data, find_component, interaction_payload, modal_submit_components
from sandbox.gateway import GatewayHub
from sandbox.interactions import InteractionRecord, InteractionRegistry
from sandbox.limits import InteractionDeadlines
from sandbox.models import CHANNEL_DM, Application, Guild, ScheduledEvent
from sandbox.payloads import stage_payload, voice_state_payload
from sandbox.population import Population
from sandbox.rest import RateLimitConfig, RestContext
from sandbox.state import World
from sandbox.tls import make_certificates
from sandbox.voice import VoiceServer, VoiceSession

__all__ = ["BotAccount", "LocalDiscord"]

JSON = dict[str, Any]


@dataclass(frozen=True)
class BotAccount:
    token: str
    application_id: int
    user_id: int


class LocalDiscord(Population):
    """The local Discord server plus the helpers that populate it and play its members."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = World()
        super().__init__(self.world)
        self.host = host
        self.port = port
        self.voice = VoiceServer(host)
        self.hub = GatewayHub(self.world, self.voice.issue)
        self.interactions = InteractionRegistry()
        self.rest = RestContext(self.world, self.hub, self.interactions)
        self._runner: web.AppRunner | None = None
        self._tmp: Path | None = None
        self.ca_file: str = ""

    # -- life cycle ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="local-discord-"))
        certs = make_certificates(self._tmp)
        self.ca_file = str(certs.ca_file)
        await self.voice.start()
        self._runner = web.AppRunner(build_app(self.rest, self.hub, self.voice), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=certs.server_context())
        await site.start()
        sockets = self._runner.addresses
        self.port = int(sockets[0][1])

    async def stop(self) -> None:
        await self.hub.close_all()
        await self.voice.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    async def __aenter__(self) -> LocalDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    # -- accounts -----------------------------------------------------------------------------------------
    def add_bot(self, name: str = "Spaces", token: str | None = None) -> BotAccount:
        bot_user = self.world.add_user(name, bot=True)
        owner = self.world.add_user(f"{name} developer")
        app = Application(
            id=self.world.ids.next(),
            name=name,
            token=token or f"{bot_user.id}.{secrets.token_urlsafe(30)}",
            bot_user_id=bot_user.id,
            owner_id=owner.id,
        )
        self.world.apps[app.id] = app
        return BotAccount(app.token, app.id, bot_user.id)

    # -- members' interactions ----------------------------------------------------------------------------
    async def _interact(
        self,
        app: Application,
        kind: int,
        user_id: int,
        channel_id: int,
        data: JSON,
        message: JSON | None,
        timeout: float,  # noqa: ASYNC109 - part of the documented harness API
    ) -> InteractionRecord:
        channel = self.world.channel(channel_id)
        record = InteractionRecord(
            id=self.world.ids.next(),
            token=self.interactions.new_token(),
            type=kind,
            application_id=app.id,
            user_id=user_id,
            guild_id=channel.guild_id,
            channel_id=channel.id,
            payload={},
            source_message_id=int(message["id"]) if message else None,
        )
        record.payload = interaction_payload(
            self.world, app, interaction_id=record.id, token=record.token, kind=kind,
            user_id=user_id, channel=channel, data=data, message=message,
        )  # fmt: skip
        self.interactions.add(record)
        self.world.emit("INTERACTION_CREATE", record.payload, bot_user_id=app.bot_user_id)
        # On timeout the record says responded=False; the test decides whether that is a failure.
        with contextlib.suppress(TimeoutError):
            await record.wait_responded(timeout)
        return record

    def _app_in(self, channel_id: int, bot: BotAccount | None) -> Application:
        if bot is not None:
            return self.world.apps[bot.application_id]
        channel = self.world.channel(channel_id)
        bot_ids = (
            set(channel.recipient_ids)
            if channel.type == CHANNEL_DM
            else set(self.world.guilds[channel.guild_id or 0].members)
        )
        apps = [a for a in self.world.apps.values() if a.bot_user_id in bot_ids]
        if len(apps) > 1:  # bots without commands (audio workers, say) are never the one a command goes to
            apps = [a for a in apps if a.global_commands or a.guild_commands.get(channel.guild_id or 0)]
        if len(apps) != 1:
            raise LookupError("pass bot=... : zero or several bots can see this channel")
        return apps[0]

    async def slash(
        self,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        path: str,
        *,
        bot: BotAccount | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        **options: Any,
    ) -> InteractionRecord:
        """A member runs ``/path option=value...``; returns once the bot answered (or ``timeout``)."""
        app = self._app_in(channel_id, bot)
        guild = self.world.guild(guild_id) if guild_id is not None else None
        data = command_data(self.world, app, guild, path, options)
        return await self._interact(app, 2, user_id, channel_id, data, None, timeout)

    async def autocomplete(
        self,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        path: str,
        focused: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        **options: Any,
    ) -> InteractionRecord:
        """A member types in option ``focused`` of ``/path`` (its text so far among ``options``, "" if absent);
        the bot's suggestions are in ``record.choices``."""
        app = self._app_in(channel_id, None)
        guild = self.world.guild(guild_id) if guild_id is not None else None
        options.setdefault(focused, "")
        data = command_data(self.world, app, guild, path, options, focused=focused)
        return await self._interact(app, 4, user_id, channel_id, data, None, timeout)

    def visible_commands(self, guild_id: int, user_id: int) -> list[str]:
        """Top-level commands the member sees in the picker (``default_member_permissions``), every bot's."""
        guild = self.world.guild(guild_id)
        apps = [a for a in self.world.apps.values() if a.bot_user_id in guild.members]
        return sorted(name for app in apps for name in visible_commands(app, guild, user_id))

    async def click(
        self,
        user_id: int,
        message_id: int | str,
        custom_id: str,
        *,
        values: list[str] | None = None,
        channel_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionRecord:
        """A member clicks a button (or picks ``values`` in a select) on a message the bot sent."""
        message = self._locate(int(message_id), channel_id)
        component = find_component(message.get("components") or [], custom_id)
        if component is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        data: JSON = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            data["values"] = list(values or [])
        channel = int(message["channel_id"])
        app = next(a for a in self.world.apps.values() if str(a.bot_user_id) == message["author"]["id"])
        return await self._interact(app, 3, user_id, channel, data, message, timeout)

    async def submit_modal(
        self,
        record: InteractionRecord,
        user_id: int,
        values: dict[str, str],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionRecord:
        """A member fills in and submits the modal the bot opened in answer to ``record``."""
        if record.modal is None:
            raise LookupError("that interaction was not answered with a modal")
        data = {
            "custom_id": record.modal["custom_id"],
            "components": modal_submit_components(record.modal, values),
        }
        message = None
        if record.source_message_id is not None:
            message = self.world.find_message(record.channel_id, record.source_message_id)
        app = self.world.apps[record.application_id]
        return await self._interact(app, 5, user_id, record.channel_id, data, message, timeout)

    def _locate(self, message_id: int, channel_id: int | None) -> JSON:
        if channel_id is not None:
            return self.world.find_message(channel_id, message_id)
        for messages in self.world.messages.values():
            if message_id in messages:
                return messages[message_id]
        if message_id in self.world.ephemeral:
            return self.world.ephemeral[message_id]
        raise LookupError(f"unknown message {message_id}")

    async def speak(self, guild_id: int, user_id: int, packets: Sequence[bytes], *, paced: bool = True) -> int:
        """The member talks: their Opus packets reach every voice connection in their channel (not deafened),
        in real time when ``paced``. See ``sandbox.speech`` for tones and espeak-ng speech."""
        guild = self.world.guild(guild_id)

        def receivers() -> list[VoiceSession]:
            mine = guild.voice_states.get(user_id)
            if mine is None or mine.channel_id is None:
                return []
            found = []
            for other, state in guild.voice_states.items():
                session = self.voice.session_for(guild_id, other)
                if state.channel_id == mine.channel_id and not state.self_deaf and session and session.connected:
                    found.append(session)
            return found

        return await self.voice.send_audio(guild_id, user_id, packets, receivers, paced=paced)

    # -- observation --------------------------------------------------------------------------------------
    def voice_state(self, guild_id: int, user_id: int) -> JSON | None:
        state = self.world.guild(guild_id).voice_states.get(user_id)
        return voice_state_payload(state) if state and state.channel_id else None

    def messages(self, channel_id: int) -> list[JSON]:
        return sorted(self.world.messages.get(channel_id, {}).values(), key=lambda m: int(m["id"]))

    def message(self, channel_id: int, message_id: int) -> JSON:
        return self.world.find_message(channel_id, message_id)

    def dms(self, user_id: int) -> list[JSON]:
        """Messages bots sent to ``user_id`` in DMs, oldest first."""
        found = []
        for channel in self.world.channels.values():
            if channel.type == CHANNEL_DM and user_id in channel.recipient_ids:
                found += [m for m in self.messages(channel.id) if m["author"]["id"] != str(user_id)]
        return sorted(found, key=lambda m: int(m["id"]))

    def stage_instance(self, channel_id: int) -> JSON | None:
        channel = self.world.channel(channel_id)
        stage = self.world.guilds[channel.guild_id or 0].stage_instances.get(channel_id)
        return stage_payload(stage) if stage else None

    def scheduled_events(self, guild_id: int) -> list[ScheduledEvent]:
        return list(self.world.guild(guild_id).scheduled_events.values())

    @property
    def request_counts(self) -> Counter[tuple[str, str]]:
        return self.rest.counts

    @property
    def refusals(self) -> list[JSON]:
        """Every error the server answered the bot with: ``{"method", "route", "status", "body"}``."""
        return self.rest.refusals

    @property
    def deadlines(self) -> InteractionDeadlines:
        """The interaction clocks (3 s to respond, 15 min of token): settings, and a clock tests can move."""
        return self.interactions.deadlines

    @property
    def rate_limit(self) -> RateLimitConfig:
        return self.rest.rate_limit

    @property
    def events(self) -> list[str]:
        return self.hub.events

    def set_dm_refused(self, user_id: int, refused: bool = True) -> None:
        (self.world.dm_refused.add if refused else self.world.dm_refused.discard)(user_id)

    async def flush(self) -> None:
        """Wait until every gateway event dispatched so far has been written to the bots' sockets."""
        await self.hub.flush()

    @staticmethod
    async def wait_for(
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
        interval: float = 0.01,
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(interval)

    def guild(self, guild_id: int) -> Guild:
        return self.world.guild(guild_id)
