"""Personal, expiring links, HMAC-SHA256, each for one purpose: listening to a ticketed Space, or its replay.

    listen   ``space.member.expires.signature``          (the format links were first handed out in)
    replay   ``replay.space.member.expires.signature``
    stats    ``stats.space.member.expires.signature``     (a host's analytics page)

Handed out privately in Discord; the page sends the token back. The signature covers the purpose, the Space, the
member and the expiry, so a link cannot be moved to another Space, lent under another name, kept alive past its
time, or used for something it was not given for (a listen link never opens a replay, nor the reverse). Listen
links keep their first format so the ones already handed out stay valid; bodies of different purposes never
collide (three fields against four, no field holds a dot). Compared with ``hmac.compare_digest`` over bytes, so
timing tells nothing about the signature and no odd character in a forged link can raise.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Literal

__all__ = ["LinkRefused", "LinkSigner", "Purpose"]

Purpose = Literal["listen", "replay", "stats"]
_RENEW: dict[Purpose, str] = {"listen": "/space share", "replay": "/space replay", "stats": "/space stats"}
_WRONG_PURPOSE: dict[Purpose, str] = {
    "listen": "This link opens a replay, not the live Space: ask for a link to listen with /space share.",
    "replay": "This link is for listening live, not for the replay: ask for the replay's link with /space replay.",
    "stats": "This link is not for a Space's stats: ask for your stats page with /space stats.",
}


class LinkRefused(Exception):
    """The link is forged, expired, for another Space or another purpose; the message is what the page shows."""


class LinkSigner:
    def __init__(self, secret: str = "", *, clock: Callable[[], float] = time.time) -> None:
        self._key = (secret or secrets.token_hex(32)).encode()
        self._clock = clock

    def sign(self, space_id: str, member_id: int, *, ttl_seconds: float = 6 * 3600, purpose: Purpose = "listen") -> str:
        expires = int(self._clock() + ttl_seconds)
        fields = [space_id, str(member_id), str(expires)]
        body = ".".join(fields if purpose == "listen" else [purpose, *fields])
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, space_id: str, *, purpose: Purpose = "listen") -> int:
        """The member the link was issued to, or LinkRefused with the reason in the member's terms."""
        if not token:
            raise LinkRefused(f"This page needs your personal link: ask for one in Discord with {_RENEW[purpose]}.")
        parts = token.split(".")
        if len(parts) not in (4, 5):
            raise LinkRefused("This link is not valid.")
        body, signature = ".".join(parts[:-1]), parts[-1]
        if not hmac.compare_digest(signature.encode(), self._mac(body).encode()):
            raise LinkRefused("This link is not valid.")
        linked_purpose = parts[0] if len(parts) == 5 else "listen"
        if linked_purpose != purpose:
            raise LinkRefused(_WRONG_PURPOSE[purpose])
        linked_space, member, expires = parts[-4:-1]
        if linked_space != space_id:
            raise LinkRefused("This link is for another Space.")
        if int(expires) < self._clock():
            raise LinkRefused(f"This link has expired: ask for a new one in Discord with {_RENEW[purpose]}.")
        return int(member)

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
