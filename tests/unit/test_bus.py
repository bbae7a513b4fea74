"""The message bus: order, isolation of failures, the errors a caller must hear, subclasses and batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from spaces_core.bus import MessageBus


@dataclass(frozen=True)
class Started:
    space_id: str


@dataclass(frozen=True)
class Ended:
    space_id: str


@dataclass(frozen=True)
class EndedByHost(Ended):
    pass


@dataclass
class Aggregate:
    id: str


class Journal:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def handler(self, name: str, fail: Exception | None = None):  # type: ignore[no-untyped-def]
        async def handle(aggregate: Aggregate, message: object) -> None:
            self.seen.append(f"{name}:{type(message).__name__}")
            if fail is not None:
                raise fail

        return handle


async def test_handlers_run_in_registration_order_for_each_event_in_turn() -> None:
    bus, journal = MessageBus(), Journal()
    bus.subscribe(Started, journal.handler("stage"))
    bus.subscribe(Started, journal.handler("card"))
    bus.subscribe(Ended, journal.handler("summary"))
    await bus.publish(Aggregate("s1"), [Started("s1"), Ended("s1")])
    assert journal.seen == ["stage:Started", "card:Started", "summary:Ended"]


async def test_one_failure_is_logged_with_the_event_and_stops_no_other(caplog: pytest.LogCaptureFixture) -> None:
    bus, journal = MessageBus(), Journal()
    bus.subscribe(Started, journal.handler("broken", RuntimeError("Discord said 403")), name="card edit")
    bus.subscribe(Started, journal.handler("after"))
    await bus.publish(Aggregate("s1"), [Started("s1")])
    assert journal.seen == ["broken:Started", "after:Started"]
    assert "card edit failed on Started of s1" in caplog.text and "Discord said 403" in caplog.text


async def test_a_propagating_failure_reaches_the_caller_after_every_handler_ran() -> None:
    bus, journal = MessageBus(), Journal()
    bus.subscribe(Started, journal.handler("open stage", LookupError("no Stage")), propagate=True)
    bus.subscribe(Started, journal.handler("dm followers"))
    bus.each_batch(Aggregate, journal.handler("board"))
    with pytest.raises(LookupError, match="no Stage"):
        await bus.publish(Aggregate("s1"), [Started("s1")])
    assert journal.seen == ["open stage:Started", "dm followers:Started", "board:list"]


async def test_a_handler_of_a_base_type_gets_its_subclasses() -> None:
    bus, journal = MessageBus(), Journal()
    bus.subscribe(Ended, journal.handler("complete event"), name="complete event")
    bus.subscribe(EndedByHost, journal.handler("thank host"), name="thank host")
    await bus.publish(Aggregate("s1"), [EndedByHost("s1"), Ended("s1")])
    # The most specific type's handlers first, then its bases' (the event's MRO).
    assert journal.seen == ["thank host:EndedByHost", "complete event:EndedByHost", "complete event:Ended"]
    assert bus.handlers_of(EndedByHost) == ["thank host", "complete event"]
    assert bus.handlers_of(Ended) == ["complete event"]


async def test_batch_handlers_see_each_batch_once_before_or_after_and_empty_batches_reach_nobody() -> None:
    bus, batches = MessageBus(), []

    async def mix(aggregate: Aggregate, events: Sequence[object]) -> None:
        batches.append(("mix", len(events)))

    async def card(aggregate: Aggregate, events: Sequence[object]) -> None:
        batches.append(("card", len(events)))

    async def per_event(aggregate: Aggregate, event: Started) -> None:
        batches.append(("event", 1))

    bus.each_batch(Aggregate, card)
    bus.each_batch(Aggregate, mix, first=True)
    bus.subscribe(Started, per_event)
    await bus.publish(Aggregate("s1"), [Started("s1"), Started("s1")])
    await bus.publish(Aggregate("s1"), [])
    assert batches == [("mix", 2), ("event", 1), ("event", 1), ("card", 2)]


async def test_a_batch_handler_sees_only_batches_of_its_aggregate_type() -> None:
    """A scheduled Space's batch never reaches the live cards' handler (it has no `is_live`, and failed on it)."""

    class Scheduled:
        id = "sch1"

    bus, seen = MessageBus(), []

    async def card(aggregate: Aggregate, events: Sequence[object]) -> None:
        seen.append(aggregate.id)

    bus.each_batch(Aggregate, card)
    await bus.publish(Scheduled(), [Started("sch1")])
    await bus.publish(Aggregate("s1"), [Started("s1")])
    assert seen == ["s1"]
