"""A small Discord server on the local Discord-compatible server, with the real Spaces bot connected to it.

Used by the demo and by the end-to-end tests. The bot is built exactly as in production (`bot.bootstrap`);
only its settings point Discord traffic at the local server and its CA, and (with `stripe=True`) Stripe traffic
at a local Stripe-compatible server whose webhooks go to the bot's web server, signed with the bot's secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import secrets
from dataclasses import dataclass, field
from typing import Any

from bot.bootstrap import Runtime, build
from bot.settings import Settings
from bot.web import WebServer
from sandbox import InteractionRecord, LocalDiscord
from sandbox.permissions import (
    ATTACH_FILES,
    CONNECT,
    EMBED_LINKS,
    MANAGE_CHANNELS,
    MANAGE_EVENTS,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    MOVE_MEMBERS,
    MUTE_MEMBERS,
    READ_MESSAGE_HISTORY,
    REQUEST_TO_SPEAK,
    SEND_MESSAGES,
    SPEAK,
    USE_APPLICATION_COMMANDS,
    VIEW_CHANNEL,
)
from stripe_sandbox import LocalStripe, WebhookEndpoint

__all__ = ["BOT_PERMISSIONS", "MODERATOR_PERMISSIONS", "World", "eventually", "open_world"]

EVERYONE = (
    VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | CONNECT | SPEAK | REQUEST_TO_SPEAK | USE_APPLICATION_COMMANDS
)
BOT_PERMISSIONS = EVERYONE | MANAGE_MESSAGES | EMBED_LINKS | MANAGE_CHANNELS | MUTE_MEMBERS | MOVE_MEMBERS
BOT_PERMISSIONS |= ATTACH_FILES | MANAGE_EVENTS  # the upcoming card's .ics file; Discord events of scheduled Spaces
BOT_PERMISSIONS |= MANAGE_ROLES  # ticketed Spaces: the holders' role and the Stage's Connect overwrites
MODERATOR_PERMISSIONS = EVERYONE | MUTE_MEMBERS


async def eventually(check: Any, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a poll deadline, not an I/O timeout
    """Poll an async or sync condition until it holds: the bot reacts concurrently to what members do."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


@dataclass
class World:
    server: LocalDiscord
    database_url: str
    guild_id: int
    stage_id: int
    feed_id: int
    chat_id: int
    voice_id: int
    owner: int
    people: dict[str, int] = field(default_factory=dict)
    runtime: Runtime | None = None
    _task: asyncio.Task[None] | None = None
    token: str = ""
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    # The local Stripe server (None: tickets are off), the bot's webhook signing secret and Stripe's endpoint.
    stripe: LocalStripe | None = None
    webhook_secret: str = ""
    webhook: WebhookEndpoint | None = None

    async def slash(self, channel_id: int, user_id: int, path: str, **options: Any) -> InteractionRecord:
        """A member runs a slash command; returns once the bot's answer is complete (deferred ones included)."""
        record = await self.server.slash(self.guild_id, channel_id, user_id, path, timeout=10.0, **options)
        if record.responded:
            await record.wait_done(timeout=10.0)
        return record

    def __getitem__(self, name: str) -> int:
        return self.people[name]

    @property
    def bot(self) -> Runtime:
        assert self.runtime is not None, "the bot is not running"
        return self.runtime

    async def start_bot(
        self, *, card_interval: float = 0.2, succession_tick: float = 0.2, web_port: int | None = 0, **more: Any
    ) -> Runtime:
        """`more`: further `Settings` fields (e.g. short reminder offsets), kept for restarts of the same world."""
        self.settings_overrides.update(more)
        if self.stripe is not None:  # a test may still override one of them (a wrong secret, say)
            self.settings_overrides.setdefault("stripe_secret_key", self.stripe.api_key)
            self.settings_overrides.setdefault("stripe_webhook_secret", self.webhook_secret)
            self.settings_overrides.setdefault("stripe_api_base", self.stripe.url)
        settings = Settings(
            discord_token=self.token,
            discord_endpoint=self.server.endpoint,
            discord_ca_file=str(self.server.ca_file),
            database_url=self.database_url,
            card_edit_interval=card_interval,
            succession_tick=succession_tick,
            web_port=web_port,  # 0: any free port on loopback (see runtime.bot.app.web.port)
            **self.settings_overrides,
        )
        self.runtime = await build(settings, guild_ready_timeout=0.1)
        self._task = asyncio.create_task(self.runtime.bot.start(self.token), name="spaces-bot")
        await asyncio.wait_for(self.runtime.bot.wait_until_ready(), timeout=20)
        self._point_webhook()
        return self.runtime

    def _point_webhook(self) -> None:
        """Stripe's webhook endpoint at the bot's web server, as an operator registers it in Stripe's dashboard.
        A restart binds a new port: the same endpoint (id, secret) follows it, like an updated dashboard URL."""
        web = self.bot.bot.app.web
        if self.stripe is None or not isinstance(web, WebServer):  # no web server (no WEB_PORT): no endpoint
            return
        url = f"{web.base_url}/stripe/webhook"
        endpoints = self.stripe.webhooks.endpoints
        if self.webhook is None:
            self.webhook = self.stripe.add_webhook_endpoint(url, secret=self.webhook_secret)
            return
        moved = dataclasses.replace(self.webhook, url=url)
        endpoints[:] = [moved if e.id == moved.id else e for e in endpoints]
        self.webhook = moved

    async def stop_bot(self) -> None:
        if self.runtime is not None:
            await self.runtime.close()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=5)
        self.runtime, self._task = None, None

    async def close(self) -> None:
        await self.stop_bot()
        await self.server.stop()
        if self.stripe is not None:
            await self.stripe.stop()


async def open_world(
    database_url: str,
    *,
    community: bool = True,
    bot_permissions: int = BOT_PERMISSIONS,
    members: int = 0,
    stripe: bool = False,
) -> World:
    """`stripe`: run a local Stripe-compatible server too and turn ticketed Spaces on in the bot's settings."""
    server = LocalDiscord()
    await server.start()
    account = server.add_bot(name="Spaces")
    guild = server.add_guild("Beat Makers", community=community, owner_name="Olivia")
    gid = guild.id
    server.add_bot_to_guild(gid, account, permissions=bot_permissions)
    mod_role = server.add_role(gid, "Moderators", permissions=MODERATOR_PERMISSIONS)
    lounge = server.add_category(gid, "Lounge")
    stage = server.add_stage_channel(gid, "Main Stage", parent_id=lounge) if community else 0
    world = World(
        server=server,
        database_url=database_url,
        guild_id=gid,
        stage_id=stage,
        feed_id=server.add_text_channel(gid, "live-now"),
        chat_id=server.add_text_channel(gid, "general"),
        voice_id=server.add_voice_channel(gid, "Hangout", parent_id=lounge),
        owner=guild.owner_id,
        token=account.token,
    )
    for name in ("hana", "cole", "lee", "maya", "sam"):
        world.people[name] = server.add_member(gid, name)
    world.people["mo"] = server.add_member(gid, "mo", roles=(mod_role,))
    for index in range(members):
        server.add_member(gid, f"member{index}")
    if stripe:
        world.stripe = LocalStripe()
        await world.stripe.start()
        world.webhook_secret = f"whsec_{secrets.token_urlsafe(24)}"
    return world
