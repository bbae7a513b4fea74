"""Interactions a simulated member triggers, and what the bot answered to each.

``InteractionRecord`` is what tests read: the initial response (type, message or modal), later edits of the
original response and follow-ups. The REST layer fills it in as the bot calls the interaction endpoints.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import not_found
from sandbox.limits.deadlines import InteractionDeadlines

__all__ = ["InteractionRecord", "InteractionRegistry"]

JSON = dict[str, Any]

DEFERRED_TYPES = (5, 6)


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete, 5 modal submit
    application_id: int
    user_id: int
    guild_id: int | None
    channel_id: int
    payload: JSON
    response_type: int | None = None
    message: JSON | None = None  # the original response message (or the component's message after type 7)
    modal: JSON | None = None
    choices: list[JSON] | None = None  # an autocomplete result (callback type 8)
    followups: list[JSON] = field(default_factory=list)
    source_message_id: int | None = None
    created_at: float = 0.0  # on the registry's deadline clock, when the interaction was sent to the bot
    _responded: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    # -- what a member sees -------------------------------------------------------------------------------
    @property
    def message_id(self) -> int | None:
        """Id of the original response message (clickable with ``server.click``, even if ephemeral)."""
        return int(self.message["id"]) if self.message else None

    @property
    def content(self) -> str | None:
        return self.message.get("content") if self.message else None

    @property
    def embeds(self) -> list[JSON]:
        return list(self.message.get("embeds") or []) if self.message else []

    @property
    def components(self) -> list[JSON]:
        return list(self.message.get("components") or []) if self.message else []

    @property
    def ephemeral(self) -> bool:
        return bool(self.message and int(self.message.get("flags") or 0) & 64)

    @property
    def responded(self) -> bool:
        return self._responded.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    async def wait_responded(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        await asyncio.wait_for(self._responded.wait(), timeout)

    async def wait_done(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait for the initial response and, if it was deferred, the edit or follow-up that completes it."""
        await asyncio.wait_for(self._done.wait(), timeout)

    # -- filled in by the REST layer ----------------------------------------------------------------------
    def set_response(
        self,
        response_type: int,
        message: JSON | None = None,
        modal: JSON | None = None,
        choices: list[JSON] | None = None,
    ) -> None:
        self.response_type = response_type
        if choices is not None:
            self.choices = choices
        if message is not None:
            self.message = message
        if modal is not None:
            self.modal = modal
        self._responded.set()
        if response_type not in DEFERRED_TYPES:
            self._done.set()

    def completed(self) -> None:
        self._done.set()


class InteractionRegistry:
    """Interactions by id and token; tokens also authenticate the webhook follow-up routes, while they last."""

    def __init__(self, deadlines: InteractionDeadlines | None = None) -> None:
        self._by_id: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        self.deadlines = deadlines or InteractionDeadlines()

    @staticmethod
    def new_token() -> str:
        return "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)

    def add(self, record: InteractionRecord) -> None:
        record.created_at = self.deadlines.now()
        self._by_id[record.id] = record
        self._by_token[record.token] = record

    def by_callback(self, interaction_id: int, token: str) -> InteractionRecord:
        record = self._by_id.get(interaction_id)
        if record is None or not secrets.compare_digest(record.token, token):
            raise not_found("interaction")
        if not record.responded:  # answering twice is 40060, whatever the time
            self.deadlines.check_initial_response(record.created_at)
        return record

    def by_webhook(self, application_id: int, token: str) -> InteractionRecord:
        record = self._by_token.get(token)
        if record is None or record.application_id != application_id:
            raise not_found("webhook")
        self.deadlines.check_token(record.created_at)
        return record

    def all(self) -> list[InteractionRecord]:
        return list(self._by_id.values())
