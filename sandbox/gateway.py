"""The gateway websocket: HELLO/IDENTIFY/READY, heartbeats, RESUME, dispatch of state changes, op 4 and op 8.

Sharding as Discord does it: an IDENTIFY's `shard` [id, count] gets the guilds with `(guild_id >> 22) % count ==
id` and their events only (events outside any guild, DMs among them, go to shard 0); an id outside 0..count-1 is
closed with 4010 (Invalid shard). Each IDENTIFY counts against the token's session start limit, which
`GET /gateway/bot` reports (`session_start_limit`: 1,000 a day on Discord); past it the local server closes the
IDENTIFY with 4000 (its own choice: what Discord does past the limit is not modelled, only that it must not happen).

One ``Session`` per IDENTIFY. A session outlives its websocket so RESUME can replay what was missed; each
connection has its own writer task (owned by the connection's handler) so dispatches leave in order and the
zlib stream, which is per connection, stays consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.models import CHANNEL_STAGE, CHANNEL_VOICE, Application, VoiceState
from sandbox.payloads import guild_create_payload, user_payload
from sandbox.permissions import CONNECT, channel_permissions
from sandbox.state import World

__all__ = ["GatewayHub", "Session"]

_log = logging.getLogger(__name__)

JSON = dict[str, Any]
HEARTBEAT_INTERVAL_MS = 41250
SESSION_START_TOTAL = 1000  # Discord's session starts per token per day (max_concurrency 1)
INVALID_SHARD = 4010
REPLAY_BUFFER = 1000
# Issues a voice token for (guild id, user id, session id) and returns (token, endpoint).
VoiceIssuer = Callable[[int, int, str], tuple[str, str]]


class _Connection:
    """One websocket: an ordered outbox drained by a writer task, optionally zlib-stream compressed."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self.outbox: asyncio.Queue[JSON] = asyncio.Queue()
        self._zlib = zlib.compressobj() if compress else None

    async def write_forever(self) -> None:
        while True:
            payload = await self.outbox.get()
            try:
                text = json.dumps(payload, separators=(",", ":"))
                if self._zlib is not None:
                    data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except ConnectionError:
                _log.debug("gateway peer went away while writing")
            finally:
                self.outbox.task_done()


@dataclass
class Session:
    id: str
    app: Application
    shard: tuple[int, int] | None = None  # (id, count) as identified; None: unsharded (every guild)
    seq: int = 0
    connection: _Connection | None = None
    replay: deque[JSON] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))

    def receives(self, guild_id: int | None) -> bool:
        """Whether this session's shard gets a guild's events (guild_id None: DMs and the like, shard 0's)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id if guild_id is not None else shard_id == 0

    def send_dispatch(self, event: str, data: JSON) -> None:
        self.seq += 1
        payload = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.replay.append(payload)
        if self.connection is not None:
            self.connection.outbox.put_nowait(payload)

    def send_op(self, op: int, data: Any) -> None:
        if self.connection is not None:
            self.connection.outbox.put_nowait({"op": op, "d": data, "s": None, "t": None})


class GatewayHub:
    def __init__(self, world: World, voice_issuer: VoiceIssuer) -> None:
        self.world = world
        self.sessions: dict[str, Session] = {}
        self.events: list[str] = []
        self.identifies: Counter[str] = Counter()  # IDENTIFYs per token: the session start limit's count
        self._voice_issuer = voice_issuer
        self._connections: set[_Connection] = set()
        world.set_emitter(self.dispatch)

    # -- fan-out -----------------------------------------------------------------------------------------
    def dispatch(self, event: str, data: JSON, guild_id: int | None, bot_user_id: int | None) -> None:
        """Send an event to every live session that would receive it on Discord (bots in that guild)."""
        self.events.append(event)
        guild = self.world.guilds.get(guild_id) if guild_id is not None else None
        # The guild whose shard gets it: an interaction for one bot is addressed by bot, yet is its guild's.
        raw_guild = data.get("guild_id") if isinstance(data, dict) else None
        shard_key = guild_id if guild_id is not None else int(raw_guild) if isinstance(raw_guild, str) else None
        for session in list(self.sessions.values()):
            bot_id = session.app.bot_user_id
            if not session.receives(shard_key):
                continue
            if (guild is not None and bot_id in guild.members) or bot_id == bot_user_id:
                session.send_dispatch(event, data)

    async def flush(self) -> None:
        """Wait until everything dispatched so far has been written to the sockets."""
        for connection in list(self._connections):
            await connection.outbox.join()

    async def close_all(self) -> None:
        for connection in list(self._connections):
            await connection.ws.close(code=4000, message=b"server stopping")

    def session_start_limit(self, token: str) -> JSON:
        remaining = max(0, SESSION_START_TOTAL - self.identifies[token])
        return {"total": SESSION_START_TOTAL, "remaining": remaining, "reset_after": 86_400_000, "max_concurrency": 1}

    # -- one websocket -----------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = _Connection(ws, compress=request.query.get("compress") == "zlib-stream")
        self._connections.add(connection)
        writer = asyncio.create_task(connection.write_forever(), name="gateway-writer")
        session: Session | None = None
        connection.outbox.put_nowait({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                session = await self._on_frame(connection, session, frame) or session
        finally:
            if session is not None and session.connection is connection:
                session.connection = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.outbox.join(), 1.0)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            self._connections.discard(connection)
        return ws

    async def _on_frame(self, conn: _Connection, session: Session | None, frame: JSON) -> Session | None:
        op = frame.get("op")
        data: JSON = frame.get("d") or {}  # a payload-less frame where one is expected reads as empty
        if op == 1:
            conn.outbox.put_nowait({"op": 11, "d": None})
        elif op == 2:
            return await self._identify(conn, data)
        elif op == 6:
            return await self._resume(conn, data)
        elif session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated.")
        elif op == 4:
            self._voice_state_update(session, data)
        elif op == 8:
            self._request_members(session, data)
        return None

    async def _identify(self, conn: _Connection, data: JSON) -> Session | None:
        app = self.world.app_for_token(str(data.get("token", "")))
        if app is None:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard = _shard_of(data.get("shard"))
        if shard is False:
            await conn.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return None
        if self.identifies[app.token] >= SESSION_START_TOTAL:
            await conn.ws.close(code=4000, message=b"Session start limit reached.")
            return None
        self.identifies[app.token] += 1
        session = Session(
            id=secrets.token_hex(16), app=app, shard=shard if isinstance(shard, tuple) else None, connection=conn
        )
        self.sessions[session.id] = session
        bot = self.world.users[app.bot_user_id]
        guilds = [g for g in self.world.guilds.values() if app.bot_user_id in g.members and session.receives(g.id)]
        ready: JSON = {
            "v": 10,
            "user": {**user_payload(bot), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": "wss://gateway.discord.gg",
            "application": {"id": str(app.id), "flags": app.flags},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        session.send_dispatch("READY", ready)
        self.events.append("READY")
        for guild in guilds:
            session.send_dispatch("GUILD_CREATE", guild_create_payload(guild, self.world.users))
            self.events.append("GUILD_CREATE")
        return session

    async def _resume(self, conn: _Connection, data: JSON) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.app.token != data.get("token") or session.connection is not None:
            conn.outbox.put_nowait({"op": 9, "d": False})
            return None
        last = int(data.get("seq") or 0)
        missed = [p for p in session.replay if p["s"] > last]
        if missed and missed[0]["s"] != last + 1:  # older than the replay buffer: start over
            conn.outbox.put_nowait({"op": 9, "d": False})
            return None
        session.connection = conn
        for payload in missed:
            conn.outbox.put_nowait(payload)
        session.send_dispatch("RESUMED", {})
        self.events.append("RESUMED")
        return session

    def _voice_state_update(self, session: Session, data: JSON) -> None:
        """Op 4 from the bot: join, move or leave voice, then hand out a voice server (like Discord)."""
        guild = self.world.guilds.get(int(data["guild_id"]))
        user_id = session.app.bot_user_id
        if guild is None or user_id not in guild.members:
            return
        channel_id = int(data["channel_id"]) if data.get("channel_id") else None
        old = guild.voice_states.get(user_id)
        if channel_id is None:
            if old is not None:
                old.channel_id = None
                self.world.announce_voice_state(guild, old)
            return
        channel = guild.channels.get(channel_id)
        if channel is None or channel.type not in (CHANNEL_VOICE, CHANNEL_STAGE):
            return
        member = guild.members[user_id]
        stage = channel.type == CHANNEL_STAGE
        moved = old is None or old.channel_id != channel_id
        if moved and not channel_permissions(guild, channel, user_id) & CONNECT:
            return  # like Discord: no voice state, no voice server; the client's connect() times out
        state = VoiceState(
            guild_id=guild.id,
            user_id=user_id,
            channel_id=channel_id,
            session_id=session.id,
            self_mute=bool(data.get("self_mute")),
            self_deaf=bool(data.get("self_deaf")),
            mute=member.mute,
            deaf=member.deaf,
            # Everyone enters a Stage in the audience; staying in place keeps the speaker status.
            suppress=stage if moved else (old.suppress if old else stage),
            request_to_speak_timestamp=None if moved or old is None else old.request_to_speak_timestamp,
        )
        self.world.announce_voice_state(guild, state)
        token, endpoint = self._voice_issuer(guild.id, user_id, session.id)
        session.send_dispatch("VOICE_SERVER_UPDATE", {"token": token, "guild_id": str(guild.id), "endpoint": endpoint})
        self.events.append("VOICE_SERVER_UPDATE")

    def _request_members(self, session: Session, data: JSON) -> None:
        guild = self.world.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        wanted = data.get("user_ids")
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0) or len(guild.members)
        ids: list[int] = [int(u) for u in (wanted if isinstance(wanted, list) else [wanted])] if wanted else []
        members = []
        for user_id, _member in guild.members.items():
            name = self.world.users[user_id].username.lower()
            if (ids and user_id in ids) or (not ids and name.startswith(query)):
                members.append(self.world.member_json(guild, user_id))
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": members[:limit],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(i) for i in ids if i not in guild.members],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session.send_dispatch("GUILD_MEMBERS_CHUNK", chunk)
        self.events.append("GUILD_MEMBERS_CHUNK")


def _shard_of(raw: object) -> tuple[int, int] | bool:
    """An IDENTIFY's `shard`: (id, count), True when absent (unsharded), False when invalid (close 4010)."""
    if raw is None:
        return True
    if not isinstance(raw, list) or len(raw) != 2 or not all(type(x) is int for x in raw):
        return False
    shard_id, count = raw
    return (shard_id, count) if count >= 1 and 0 <= shard_id < count else False
