"""The one message bus: after a commit, each domain event goes to the handlers registered for its type.

The model is the message bus of "Architecture Patterns with Python": aggregates record events, the service
commits, then hands the events and the aggregate as saved to `MessageBus.publish`. Core handlers carry the rules
that cross features (a Space ended, so its scheduled event completes); `bot/` registers handlers that only
render to Discord and the web. Nothing else carries side effects between features.

- Handlers of one event run one after another, in the order they were registered (a Stage opens before its
  card is posted), and events in the order they were recorded.
- One handler's failure never stops another's: it is logged with the event, and the next handler runs. A
  handler subscribed with ``propagate=True`` is one whose failure the caller must hear (the Stage did not open,
  so `/space start` says why); its error is raised once every other handler has run.
- Work that must not be lost is committed before `publish` (an outbox row, a job): handlers are at most once.
- `each_batch` handlers see the whole batch once, before (``first=True``) or after the per-event handlers: the
  mix follows who may speak before any Discord round trip, and a card is re-rendered once per batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["BatchHandler", "EventHandler", "MessageBus"]

log = logging.getLogger(__name__)

E = TypeVar("E")
S = TypeVar("S")
EventHandler = Callable[[S, E], Awaitable[None]]  # (the aggregate as saved, the event)
BatchHandler = Callable[[S, Sequence[object]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Registered(Generic[S]):
    name: str
    handler: Callable[[S, Any], Awaitable[None]]
    propagate: bool
    aggregate_type: type | None = None  # batch handlers: the aggregate they are about; others are not theirs


class MessageBus:
    def __init__(self) -> None:
        self._by_type: defaultdict[type, list[_Registered[Any]]] = defaultdict(list)
        self._first: list[_Registered[Any]] = []
        self._last: list[_Registered[Any]] = []

    def subscribe(
        self, event_type: type[E], handler: EventHandler[S, E], *, name: str = "", propagate: bool = False
    ) -> None:
        """Call ``handler(aggregate, event)`` for every published event of ``event_type`` (or a subclass)."""
        self._by_type[event_type].append(_Registered(name or _name_of(handler), handler, propagate))

    def each_batch(
        self, aggregate_type: type[S], handler: BatchHandler[S], *, first: bool = False, name: str = ""
    ) -> None:
        """Call ``handler(aggregate, events)`` once per published batch of an ``aggregate_type`` (a Space's batches,
        not a scheduled Space's), before or after the per-event handlers."""
        registered = _Registered(name or _name_of(handler), handler, False, aggregate_type)
        (self._first if first else self._last).append(registered)

    def handlers_of(self, event_type: type) -> list[str]:
        """The names of the handlers an event of this type reaches, in order (for tests and the docs)."""
        return [registered.name for registered in self._matching(event_type)]

    async def publish(self, aggregate: object, events: Sequence[object]) -> None:
        """Dispatch committed ``events`` of ``aggregate``. Raises the first error of a ``propagate`` handler,
        after every handler has run."""
        if not events:
            return
        owed: list[BaseException] = []
        for registered in self._batch_handlers(self._first, aggregate):
            await self._run(registered, aggregate, events, "batch", owed)
        for event in events:
            for registered in self._matching(type(event)):
                await self._run(registered, aggregate, event, type(event).__name__, owed)
        for registered in self._batch_handlers(self._last, aggregate):
            await self._run(registered, aggregate, events, "batch", owed)
        if owed:
            raise owed[0]

    @staticmethod
    def _batch_handlers(handlers: list[_Registered[Any]], aggregate: object) -> list[_Registered[Any]]:
        return [h for h in handlers if h.aggregate_type is None or isinstance(aggregate, h.aggregate_type)]

    def _matching(self, event_type: type) -> list[_Registered[Any]]:
        return [registered for kind in event_type.__mro__ for registered in self._by_type.get(kind, ())]

    @staticmethod
    async def _run(
        registered: _Registered[Any], aggregate: object, message: object, what: str, owed: list[BaseException]
    ) -> None:
        try:
            await registered.handler(aggregate, message)
        except Exception as exc:
            subject = getattr(aggregate, "id", type(aggregate).__name__)
            if registered.propagate:
                owed.append(exc)
                log.warning("%s failed on %s of %s: %s", registered.name, what, subject, exc)
            else:
                log.exception("%s failed on %s of %s: %r", registered.name, what, subject, message)


def _name_of(handler: Callable[..., object]) -> str:
    return getattr(handler, "__qualname__", None) or repr(handler)
