"""Personal, expiring links to a ticketed Space: ``space.member.expires.signature``, HMAC-SHA256.

Handed out privately in Discord to a ticket holder; the listen page sends it with its offer. The signature covers
the Space, the member and the expiry, so a link cannot be moved to another Space, lent under another name, or
kept alive past its time. Compared with ``hmac.compare_digest`` so timing tells nothing about the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

__all__ = ["LinkRefused", "LinkSigner"]


class LinkRefused(Exception):
    """The link is forged, expired, or for another Space; the message is what the page shows."""


class LinkSigner:
    def __init__(self, secret: str = "", *, clock: Callable[[], float] = time.time) -> None:
        self._key = (secret or secrets.token_hex(32)).encode()
        self._clock = clock

    def sign(self, space_id: str, member_id: int, *, ttl_seconds: float = 6 * 3600) -> str:
        expires = int(self._clock() + ttl_seconds)
        body = f"{space_id}.{member_id}.{expires}"
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, space_id: str) -> int:
        """The member the link was issued to, or LinkRefused."""
        parts = token.split(".")
        if len(parts) != 4:
            raise LinkRefused("This link is not valid.")
        body, signature = ".".join(parts[:3]), parts[3]
        if not hmac.compare_digest(signature, self._mac(body)):
            raise LinkRefused("This link is not valid.")
        linked_space, member, expires = parts[:3]
        if linked_space != space_id:
            raise LinkRefused("This link is for another Space.")
        if int(expires) < self._clock():
            raise LinkRefused("This link has expired: ask for a new one in Discord with /space share.")
        return int(member)

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
