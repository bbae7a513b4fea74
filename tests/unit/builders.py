"""Small builders for domain tests: one Space with a known cast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space

__all__ = ["ADMIN", "COHOST", "GUILD", "HOST", "MOD", "NOW", "STAGE", "later", "live_space", "member"]

NOW = datetime(2025, 5, 1, 18, 0, tzinfo=UTC)
GUILD, STAGE = 900, 901
HOST = Actor(1)
COHOST = Actor(2)
MOD = Actor(3, is_moderator=True)
ADMIN = Actor(4, is_admin=True)


def member(user_id: int) -> Actor:
    return Actor(user_id)


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def live_space(*, speaker_limit: int = 10, present: tuple[int, ...] = (10, 11, 12), cohost: bool = False) -> Space:
    space, _ = Space.open(
        space_id="s1",
        guild_id=GUILD,
        channel_id=STAGE,
        host_id=HOST.user_id,
        title="Friday jam",
        topics="music, chat",
        now=NOW,
        speaker_limit=speaker_limit,
    )
    for user_id in present:
        space.join(user_id, NOW)
    if cohost:
        space.join(COHOST.user_id, NOW)
        space.add_cohost(HOST, COHOST.user_id)
    return space
