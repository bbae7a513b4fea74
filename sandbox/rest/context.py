"""What every REST handler shares: the world, the gateway, the caller, JSON/multipart bodies, errors,
request counting and (optionally simulated) rate limits.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, missing_permissions, unauthorized
from sandbox.gateway import GatewayHub
from sandbox.interactions import InteractionRegistry
from sandbox.limits.messages import check_uploads
from sandbox.models import Application, Channel, Guild
from sandbox.permissions import base_permissions, channel_permissions
from sandbox.state import World

__all__ = [
    "API_PREFIX",
    "CTX_KEY",
    "RateLimitConfig",
    "RestContext",
    "caller",
    "ctx",
    "json_response",
    "middlewares",
    "read_body",
    "require_channel_permission",
    "require_guild_permission",
    "snowflake",
]

_log = logging.getLogger(__name__)
# A 400, or an interaction answered too late, means the bot sent what Discord itself would refuse. They are
# logged here, under their own name, so a test suite can fail on any of them (tests/e2e does).
_refusals_log = logging.getLogger("sandbox.refusals")
LATE_CODES = (10062, 50027)  # Unknown interaction (past 3 s), Invalid Webhook Token (past 15 min)

JSON = dict[str, Any]
API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class RateLimitConfig:
    """Simulated per-route buckets, off by default. ``limit`` requests per ``window`` seconds."""

    enabled: bool = False
    limit: int = 50
    window: float = 1.0


@dataclass
class RestContext:
    world: World
    hub: GatewayHub
    interactions: InteractionRegistry
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    rate_limit: RateLimitConfig = field(default_factory=RateLimitConfig)
    # Every error answer the server gave (method, route, status, body): what Discord would have refused.
    refusals: list[JSON] = field(default_factory=list)
    _buckets: dict[str, tuple[float, int]] = field(default_factory=dict)

    def take(self, bucket: str) -> tuple[int, float, bool]:
        """Use one request of ``bucket``: returns (remaining, reset_after, allowed)."""
        now = time.monotonic()
        cfg = self.rate_limit
        start, used = self._buckets.get(bucket, (now, 0))
        if now - start >= cfg.window:
            start, used = now, 0
        reset_after = max(cfg.window - (now - start), 0.001)
        if cfg.enabled and used >= cfg.limit:
            return 0, reset_after, False
        used += 1
        self._buckets[bucket] = (start, used)
        return max(cfg.limit - used, 0), reset_after, True


CTX_KEY = web.AppKey("sandbox_rest", RestContext)
CALLER_KEY = web.RequestKey("sandbox_caller", Application)


def ctx(request: web.Request) -> RestContext:
    return request.app[CTX_KEY]


def caller(request: web.Request) -> Application:
    return request[CALLER_KEY]


def snowflake(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise ApiError(400, 50035, "Invalid Form Body") from None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body only when Content-Type is exactly "application/json" (no charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


async def read_body(request: web.Request) -> JSON:
    """JSON body, or a multipart body (payload_json + files[n]) with the files turned into attachments."""
    if not request.body_exists:
        return {}
    if request.content_type.startswith("multipart/"):
        body: JSON = {}
        files: list[JSON] = []
        reader = await request.multipart()
        async for part in reader:
            name = getattr(part, "name", None)
            if name == "payload_json":
                body = json.loads(await part.text())  # type: ignore[union-attr]
            elif name is not None:
                data = await part.read()  # type: ignore[union-attr]
                files.append({"filename": getattr(part, "filename", None) or name, "data": data})
        check_uploads([f["data"] for f in files])
        return body | {"attachments": [_stored(ctx(request).world, f["filename"], f["data"]) for f in files]}
    text = await request.text()
    return json.loads(text) if text else {}


def _stored(world: World, filename: str, data: bytes) -> JSON:
    """An uploaded file as Discord describes it; its bytes are kept in `world.uploads` for tests to read."""
    attachment_id = world.ids.next()
    world.uploads[attachment_id] = data
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": len(data),
        "url": f"https://cdn.discordapp.com/attachments/{filename}",
        "proxy_url": f"https://media.discordapp.net/attachments/{filename}",
        "content_type": "application/octet-stream",
    }


def require_guild_permission(request: web.Request, guild: Guild, bits: int) -> None:
    if base_permissions(guild, caller(request).bot_user_id) & bits != bits:
        raise missing_permissions()


def require_channel_permission(request: web.Request, guild: Guild, channel: Channel, bits: int) -> None:
    if channel_permissions(guild, channel, caller(request).bot_user_id) & bits != bits:
        raise missing_permissions()


def _route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else request.path
    return canonical.removeprefix(API_PREFIX)


def _is_token_route(path: str) -> bool:
    # Interaction callbacks and webhook follow-ups are authenticated by the token in the URL.
    return path.startswith((API_PREFIX + "/interactions/", API_PREFIX + "/webhooks/"))


@web.middleware
async def _api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    context = ctx(request)
    template = _route_template(request)
    context.counts[(request.method, template)] += 1
    bucket = f"{request.method} {template}"
    remaining, reset_after, allowed = context.take(bucket)
    headers = {
        "X-RateLimit-Limit": str(context.rate_limit.limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": format(abs(hash(bucket)), "x"),
    }
    if not allowed:
        # discord.py retries a 429 only when a Via header is present (otherwise it assumes Cloudflare).
        retry = math.ceil(reset_after * 1000) / 1000
        body = {"message": "You are being rate limited.", "retry_after": retry, "global": False}
        return json_response(body, 429, {**headers, "Via": "1.1 google", "Retry-After": str(math.ceil(retry))})
    try:
        if not _is_token_route(request.path):
            auth = request.headers.get("Authorization", "")
            app = context.world.app_for_token(auth.removeprefix("Bot ")) if auth.startswith("Bot ") else None
            if app is None:
                raise unauthorized()
            request[CALLER_KEY] = app
        response = await handler(request)
    except ApiError as error:
        refusal = {"method": request.method, "route": template, "status": error.status, "body": error.body()}
        context.refusals.append(refusal)
        if error.status == 400 or error.code in LATE_CODES:
            _refusals_log.warning("refused %s %s: %s %s", request.method, template, error.status, error.body())
        return json_response(error.body(), error.status, headers)
    except web.HTTPException as error:  # unknown route or method: Discord answers in JSON too
        body = {"message": f"{error.status}: {error.reason}", "code": 0}
        return json_response(body, error.status, headers)
    except (KeyError, ValueError, TypeError):
        # A malformed body. Answer 400 like Discord rather than 500, which discord.py retries for seconds.
        _log.warning("rejected malformed request %s %s", request.method, request.path, exc_info=True)
        body = {"code": 50035, "message": "Invalid Form Body"}
        context.refusals.append({"method": request.method, "route": template, "status": 400, "body": body})
        _refusals_log.warning("refused %s %s: 400 %s", request.method, template, body)
        return json_response(body, 400, headers)
    response.headers.update(headers)
    return response


middlewares = [_api_middleware]
