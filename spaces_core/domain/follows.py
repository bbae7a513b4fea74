"""Follow rules (the follow graph itself lives in the store)."""

from __future__ import annotations

from spaces_core.domain.errors import InvalidInput

__all__ = ["validate_follow"]


def validate_follow(follower_id: int, host_id: int) -> None:
    if follower_id == host_id:
        raise InvalidInput("You can't follow yourself.")
