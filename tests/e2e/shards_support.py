"""Two real bot processes (`python -m bot`, shards 0 and 1 of 2) against one local Discord, one local Stripe and
one PostgreSQL database made for the test (advisory locks and NOTIFY are per database, so a database of its own,
not only a schema). Each guild of the test is made on a given shard; each process is started with its settings
in the environment, as an operator would, and its log kept in a file the test reads."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from demo.world import BOT_PERMISSIONS, World, eventually
from sandbox import LocalDiscord
from sandbox.harness import BotAccount
from stripe_sandbox import LocalStripe
from tests.missing import postgres

__all__ = ["BotProcess", "Cluster", "cluster"]

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class BotProcess:
    name: str
    proc: asyncio.subprocess.Process
    log: Path
    web: str  # its web server's address

    def said(self, words: str) -> bool:
        return words in self.log.read_text(errors="replace")

    async def stop(self) -> None:
        """SIGTERM, as a deploy stops a process: it ends at once, and PostgreSQL frees its locks with its
        connections."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


@dataclass
class Cluster:
    server: LocalDiscord
    stripe: LocalStripe
    database_url: str
    account: BotAccount
    webhook_secret: str
    tmp: Path
    worlds: list[World] = field(default_factory=list)  # one guild per shard: worlds[0] on shard 0...
    processes: list[BotProcess] = field(default_factory=list)

    async def spawn(self, name: str, shard_ids: str) -> BotProcess:
        port = _free_port()
        env = {
            **os.environ,
            "DISCORD_TOKEN": self.account.token,
            "DISCORD_ENDPOINT": self.server.endpoint,
            "DISCORD_CA_FILE": str(self.server.ca_file),
            "DATABASE_URL": self.database_url,
            "SHARD_COUNT": "2",
            "SHARD_IDS": shard_ids,
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(port),
            "STRIPE_SECRET_KEY": self.stripe.api_key,
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "STRIPE_API_BASE": self.stripe.url,
            "CARD_EDIT_INTERVAL": "0.2",
            "SUCCESSION_TICK": "0.2",
            "REMINDER_OFFSETS": "0",
            "HOST_ALERT_SECONDS": "1",
            "SCHEDULE_GRACE_SECONDS": "60",
            "RECORDINGS_DIR": str(self.tmp / f"recordings-{name}"),
            "LOG_LEVEL": "INFO",
        }
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
            )
        process = BotProcess(name, proc, log, f"http://127.0.0.1:{port}")
        self.processes.append(process)
        return process

    async def ready(self, process: BotProcess, timeout: float = 120.0) -> None:
        """Until the process holds its shards, is logged in and has recorded its web address."""

        def up() -> bool:
            if process.proc.returncode is not None:
                raise AssertionError(f"{process.name} ended: {process.log.read_text(errors='replace')[-3000:]}")
            return process.said("listen pages at")

        try:
            await eventually(up, timeout=timeout)
        except AssertionError:
            tail = process.log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"{process.name} not ready within {timeout} s; its log ends:\n{tail}") from None

    def add_guild(self, shard: int) -> World:
        """A guild on `shard` (of 2) with the bot, a Stage, a feed, a chat and hana, cole and lee."""
        server = self.server
        guild = server.add_guild(f"Guild of shard {shard}", owner_name=f"Olivia{shard}", shard=(shard, 2))
        gid = guild.id
        server.add_bot_to_guild(gid, self.account, permissions=BOT_PERMISSIONS)
        world = World(
            server=server,
            database_url=self.database_url,
            guild_id=gid,
            stage_id=server.add_stage_channel(gid, "Main Stage"),
            feed_id=server.add_text_channel(gid, "live-now"),
            chat_id=server.add_text_channel(gid, "general"),
            voice_id=server.add_voice_channel(gid, "Hangout"),
            owner=guild.owner_id,
            token=self.account.token,
            stripe=self.stripe,
            webhook_secret=self.webhook_secret,
        )
        for name in ("hana", "cole", "lee"):
            world.people[name] = server.add_member(gid, name)
        self.worlds.append(world)
        return world


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def cluster(tmp: Path) -> AsyncIterator[Cluster]:
    """The servers, a database of the test's own, the bot account and one guild per shard; processes are
    spawned by the test and all stopped (then the database dropped) after it."""
    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:  # pragma: no cover - depends on the machine
        pytest.skip(postgres(error))
    name = f"spaces_shards_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    server, stripe = LocalDiscord(), LocalStripe()
    await server.start()
    await stripe.start()
    account = server.add_bot(name="Spaces")
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    made = Cluster(server, stripe, url, account, f"whsec_{secrets.token_urlsafe(24)}", tmp)
    try:
        made.add_guild(0)
        made.add_guild(1)
        yield made
    finally:
        for process in made.processes:
            await process.stop()
        await server.stop()
        await stripe.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
