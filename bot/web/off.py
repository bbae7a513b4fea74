"""No web server (no `WEB_PORT`): nothing to start, and no link to hand out, so replies simply leave them out."""

from __future__ import annotations

from spaces_core.domain.space import Space

__all__ = ["NoWeb"]


class NoWeb:
    __slots__ = ()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def listen_url(self, space: Space) -> str | None:
        return None

    def page_url(self, space_id: str) -> str | None:
        return None

    def personal_url(self, space_id: str, member_id: int) -> str | None:
        return None

    def replay_url(self, space: Space, member_id: int, *, ttl_seconds: float) -> str | None:
        return None
