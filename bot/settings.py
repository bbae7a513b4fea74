"""Settings read from the environment (and an optional .env file).

Every setting is listed with a comment in `.env.example`. Nothing here connects to anything: the composition
root (`bot.bootstrap`) turns settings into live objects.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from spaces_core.domain.shards import MAX_SHARDS, ShardPlan
from spaces_core.webrtc.janus import parse_edges

__all__ = ["Settings", "SettingsError"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/spaces.db"
DEFAULT_RECORDINGS_DIR = "data/recordings"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from exc


def _days(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if not 0 < value <= 36_500:  # also refuses NaN and infinity
        raise SettingsError(f"{name} must be a number of days above 0 and at most 36500, not {value}")
    return value


def _count(env: Mapping[str, str], name: str, default: int, most: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise SettingsError(f"{name} must be a whole number from 1 to {most}, not {raw!r}")
    return int(raw)


def _int_or_none(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise SettingsError(f"{name} must be a Discord id (digits only), not {raw!r}")
    return int(raw)


def _seconds_list(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise SettingsError(f"{name} must be whole seconds separated by commas, not {raw!r}") from exc


def _stripe(env: Mapping[str, str]) -> dict[str, str]:
    key = env.get("STRIPE_SECRET_KEY", "").strip()
    secret = env.get("STRIPE_WEBHOOK_SECRET", "").strip()
    base = env.get("STRIPE_API_BASE", "").strip().rstrip("/")
    if key and not key.startswith(("sk_", "rk_")):
        raise SettingsError("STRIPE_SECRET_KEY must be a Stripe secret (sk_...) or restricted (rk_...) key")
    if secret and not secret.startswith("whsec_"):
        raise SettingsError("STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret (whsec_...)")
    if bool(key) != bool(secret):
        missing = "STRIPE_WEBHOOK_SECRET" if key else "STRIPE_SECRET_KEY"
        raise SettingsError(f"Ticketed Spaces need both Stripe settings: {missing} is not set")
    if base and not base.startswith(("http://", "https://")):
        raise SettingsError(f"STRIPE_API_BASE must be an http(s) URL, not {base!r}")
    return {"stripe_secret_key": key, "stripe_webhook_secret": secret, "stripe_api_base": base}


def _hls_base_url(env: Mapping[str, str]) -> str:
    base = env.get("HLS_BASE_URL", "").strip().rstrip("/")
    if base and not base.startswith(("http://", "https://", "/")):
        raise SettingsError(f"HLS_BASE_URL must be an http(s) URL or a path on the bot's site, not {base!r}")
    return base


def _hls_segment_seconds(env: Mapping[str, str]) -> float:
    seconds = _float(env, "HLS_SEGMENT_SECONDS", 1.0)
    frames = seconds / 0.02
    if not 0.2 <= seconds <= 6 or abs(frames - round(frames)) > 1e-6:
        raise SettingsError(f"HLS_SEGMENT_SECONDS must be 0.2 to 6 s in steps of 0.02 (Opus frames), not {seconds}")
    return seconds


def _worker_tokens(env: Mapping[str, str], main_token: str) -> tuple[str, ...]:
    raw = env.get("AUDIO_WORKER_TOKENS", "").strip()
    if not raw:
        return ()
    tokens = tuple(part.strip() for part in raw.split(","))
    if any(not token or any(c.isspace() for c in token) for token in tokens):
        raise SettingsError("AUDIO_WORKER_TOKENS must be bot tokens separated by commas, with no empty entry")
    if len(set(tokens)) != len(tokens):
        raise SettingsError("AUDIO_WORKER_TOKENS lists the same token twice: each worker is its own bot account")
    if main_token in tokens:
        raise SettingsError("AUDIO_WORKER_TOKENS must not hold DISCORD_TOKEN: a worker is another bot account")
    return tokens


def _shards(env: Mapping[str, str]) -> ShardPlan:
    """SHARD_COUNT (default 1) and SHARD_IDS, the shards this process holds: "0,2" (default: all of them)."""
    count = _count(env, "SHARD_COUNT", 1, MAX_SHARDS)
    raw = env.get("SHARD_IDS", "").strip()
    parts = [part.strip() for part in raw.split(",")] if raw else []
    if not all(part.isdigit() for part in parts):
        raise SettingsError(f"SHARD_IDS must be shard numbers separated by commas (like 0,1), not {raw!r}")
    try:
        plan = ShardPlan(count, tuple(int(part) for part in parts)) if parts else ShardPlan.every(count)
    except ValueError as exc:
        raise SettingsError(f"SHARD_IDS {raw!r} with SHARD_COUNT {count}: {exc}") from None
    return plan


@dataclass(frozen=True, slots=True)
class Settings:
    discord_token: str
    # "host:port" of a Discord-compatible server (REST, gateway and voice); empty means discord.com itself.
    discord_endpoint: str | None = None
    # CA certificate that signs the endpoint's TLS certificate (required with discord_endpoint).
    discord_ca_file: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    # Guild to sync slash commands to instantly (global sync can take an hour on Discord).
    dev_guild_id: int | None = None
    # Seconds between two edits of the same Space card: Discord rate-limits message edits per channel.
    card_edit_interval: float = 5.0
    # Seconds between two passes of the co-host takeover check.
    succession_tick: float = 1.0
    log_level: str = "INFO"
    # The bot's web server (listen page, WebRTC signalling): the address it binds and, with it, the only
    # address web listeners' WebRTC is offered on; port None turns the web server off.
    web_host: str = "127.0.0.1"
    web_port: int | None = None
    # Web listeners one Space takes at most (a later one is told the Space is full). One core sends to about
    # 2,000 (docs/BENCHMARKS.md), and the bot's event loop also serves Discord and every other Space.
    web_listeners_per_space: int = 1000
    # The address members open (behind a reverse proxy in production); links from /space share use it.
    public_base_url: str = ""
    # Signs the personal links to ticketed Spaces (HMAC-SHA256); empty means a random one per process.
    link_secret: str = ""
    # Scheduled Spaces: reminders this many seconds before the start (24 h, 15 min, at the start), the host's
    # alert before it, and how long after the start the host may still press Start now before it is missed.
    reminder_offsets: tuple[int, ...] = (86400, 900, 0)
    host_alert_seconds: float = 1800.0
    schedule_grace_seconds: float = 900.0
    # Replays are kept this many days after their Space ended, then deleted (file and record) by a periodic sweep.
    recordings_retention_days: float = 30.0
    # Where recorded Spaces are written (one Ogg/Opus file each) and served from as replays.
    recordings_dir: str = DEFAULT_RECORDINGS_DIR
    # Ticketed Spaces (Stripe): both the secret key and the webhook signing secret, or tickets are off. The API
    # base is empty for api.stripe.com; the demo and the tests point it at the local Stripe-compatible server.
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    # Seconds between two reconciliations with Stripe (repairs what lost webhooks missed; also once at start-up).
    ticket_reconcile_seconds: float = 180.0
    # Live captions: a CTranslate2 whisper model directory; empty means the packaged whisper base.
    captions_model_dir: str = ""
    # Seconds between two edits of a Space's "Live captions" message (Discord rate-limits edits per channel).
    captions_edit_interval: float = 2.0
    # Host analytics: seconds between two samples of a live Space, and the most samples one Space keeps (past
    # it, every other one is dropped and the interval doubles: spaces_core/domain/stats.py).
    stats_interval: float = 5.0
    stats_max_samples: int = 720
    # Low-latency HLS for web listeners WebRTC cannot reach (docs/HLS.md): the directory its segments are written
    # to (empty: HLS off), the URL that serves that directory to members (nginx or a CDN; empty: the bot's own
    # web server serves it), and the segments' length (1 s is closer to live, 2 s makes half the requests).
    hls_dir: str = ""
    hls_base_url: str = ""
    hls_segment_seconds: float = 1.0
    # Extra bot accounts (one Discord application each) that join Stages as silent listeners, so more Spaces of
    # one server have audio at once: Discord gives each bot one voice connection per server (bot/audio/workers.py).
    audio_worker_tokens: tuple[str, ...] = ()
    # Janus edges for web listeners (spaces_core/webrtc/janus): comma-separated Janus HTTP API URLs, each with
    # `@rtp-host` if its mountpoints take RTP on another address than the URL's host; empty: the bot's own fan-out.
    janus_edges: str = ""
    # The API secret the edges require (Janus's `api_secret`), if any: only the bot talks to their API.
    janus_api_secret: str = ""
    # Sharding (several bot processes, PostgreSQL only): Discord's shard count, and the shards this process holds
    # (all of them by default). Each process acts on its shards' guilds only (docs/ARCHITECTURE.md, "Shards").
    shard_count: int = 1
    shard_ids: tuple[int, ...] = (0,)

    @property
    def tickets_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def shards(self) -> ShardPlan:
        return ShardPlan(self.shard_count, self.shard_ids)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        token = env.get("DISCORD_TOKEN", "").strip()
        if not token:
            raise SettingsError("DISCORD_TOKEN is not set: put the bot's token in the environment or in .env")
        endpoint = env.get("DISCORD_ENDPOINT", "").strip() or None
        ca_file = env.get("DISCORD_CA_FILE", "").strip() or None
        if endpoint and not ca_file:
            raise SettingsError("DISCORD_ENDPOINT needs DISCORD_CA_FILE: the CA that signs that server's certificate")
        shards = _shards(env)
        settings = cls(
            discord_token=token,
            discord_endpoint=endpoint,
            discord_ca_file=ca_file,
            database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            dev_guild_id=_int_or_none(env, "DISCORD_DEV_GUILD_ID"),
            card_edit_interval=_float(env, "CARD_EDIT_INTERVAL", 5.0),
            succession_tick=_float(env, "SUCCESSION_TICK", 1.0),
            log_level=env.get("LOG_LEVEL", "INFO").strip() or "INFO",
            web_host=env.get("WEB_HOST", "").strip() or "127.0.0.1",
            web_port=_int_or_none(env, "WEB_PORT"),
            web_listeners_per_space=_count(env, "WEB_LISTENERS_PER_SPACE", 1000, 3000),
            public_base_url=env.get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
            link_secret=env.get("LINK_SECRET", "").strip(),
            reminder_offsets=_seconds_list(env, "REMINDER_OFFSETS", (86400, 900, 0)),
            host_alert_seconds=_float(env, "HOST_ALERT_SECONDS", 1800.0),
            schedule_grace_seconds=_float(env, "SCHEDULE_GRACE_SECONDS", 900.0),
            recordings_retention_days=_days(env, "RECORDINGS_RETENTION_DAYS", 30.0),
            recordings_dir=env.get("RECORDINGS_DIR", "").strip() or DEFAULT_RECORDINGS_DIR,
            ticket_reconcile_seconds=_float(env, "TICKET_RECONCILE_SECONDS", 180.0),
            captions_model_dir=env.get("CAPTIONS_MODEL_DIR", "").strip(),
            captions_edit_interval=_float(env, "CAPTIONS_EDIT_INTERVAL", 2.0),
            stats_interval=_float(env, "STATS_INTERVAL", 5.0),
            stats_max_samples=_count(env, "STATS_MAX_SAMPLES", 720, 10_000),
            **_stripe(env),
            hls_dir=env.get("HLS_DIR", "").strip(),
            hls_base_url=_hls_base_url(env),
            hls_segment_seconds=_hls_segment_seconds(env),
            audio_worker_tokens=_worker_tokens(env, token),
            janus_edges=_janus_edges(env),
            janus_api_secret=env.get("JANUS_API_SECRET", "").strip(),
            shard_count=shards.count,
            shard_ids=shards.ids,
        )
        if settings.tickets_enabled and settings.web_port is None:
            raise SettingsError("Ticketed Spaces need WEB_PORT: Stripe's webhooks arrive on the bot's web server")
        if settings.hls_dir and settings.web_port is None:
            raise SettingsError("HLS_DIR needs WEB_PORT: the listen page that plays HLS is on the bot's web server")
        if settings.janus_edges and settings.web_port is None:
            raise SettingsError("JANUS_EDGES needs WEB_PORT: the listen page is where listeners are sent to an edge")
        if settings.shard_count > 1 and not settings.database_url.startswith(("postgresql", "postgres:")):
            raise SettingsError(
                "SHARD_COUNT above 1 needs PostgreSQL in DATABASE_URL: the processes share one database, its "
                "advisory locks and its notifications (SQLite is one process's file)"
            )
        return settings


def _janus_edges(env: Mapping[str, str]) -> str:
    text = env.get("JANUS_EDGES", "").strip()
    try:
        parse_edges(text)
    except ValueError as bad:
        raise SettingsError(str(bad)) from None
    return text
