"""Discord's two interaction clocks: the initial response within 3 seconds, the token valid for 15 minutes.

https://discord.com/developers/docs/interactions/receiving-and-responding — "Interaction tokens are valid for
15 minutes ... you must send an initial response within 3 seconds of receiving the event. If the 3 second
deadline is exceeded, the token will be invalidated." A late callback gets 404 10062 "Unknown interaction";
follow-ups and edits after the 15 minutes get 401 50027 "Invalid Webhook Token" (discord-api-docs#6851).

Both are settings with Discord's values as defaults; ``clock`` is replaceable so tests can move time on
instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.errors import ApiError, not_found

__all__ = ["InteractionDeadlines"]


@dataclass
class InteractionDeadlines:
    respond_within: float = 3.0
    token_lifetime: float = 15 * 60.0
    clock: Callable[[], float] = field(default=time.monotonic)

    def now(self) -> float:
        return self.clock()

    def check_initial_response(self, created_at: float) -> None:
        if self.clock() - created_at > self.respond_within:
            raise not_found("interaction")  # 404, 10062 Unknown interaction

    def check_token(self, created_at: float) -> None:
        if self.clock() - created_at > self.token_lifetime:
            raise ApiError(401, 50027, "Invalid Webhook Token")
