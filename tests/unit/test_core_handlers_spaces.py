"""The core handlers on Space events, on a real bus with fakes of their ports: a Space ended completes its
scheduled Space; a co-host added to a live ticketed Space is let through the ticket door."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spaces_core.bus import MessageBus
from spaces_core.domain import events as ev
from spaces_core.domain.errors import ConcurrentUpdate, NotFound
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space
from spaces_core.domain.tickets import TicketOffer
from spaces_core.handlers import cohost_door, scheduled_end
from tests.unit.builders import GUILD, HOST, NOW, STAGE, later, live_space

SCHEDULE = ScheduledSpace(
    id="sched1",
    guild_id=GUILD,
    channel_id=STAGE,
    host_id=HOST.user_id,
    title="Friday jam",
    topics=(),
    starts_at=NOW + timedelta(hours=1),
    created_at=NOW,
)
OFFER = TicketOffer(schedule_id=SCHEDULE.id, guild_id=GUILD, host_id=HOST.user_id, price_cents=500, currency="usd")


class FakeSchedules:
    """The schedule service's side the handlers use: which live Space came from which schedule, and its end."""

    def __init__(self, live: dict[str, ScheduledSpace] | None = None, fail: Exception | None = None) -> None:
        self.live = live or {}
        self.fail = fail
        self.ended: list[str] = []

    async def space_ended(self, space_id: str) -> bool:
        if self.fail is not None:
            raise self.fail
        self.ended.append(space_id)
        return space_id in self.live

    async def of_live_space(self, space_id: str) -> ScheduledSpace | None:
        if self.fail is not None:
            raise self.fail
        return self.live.get(space_id)


class FakeOffers:
    def __init__(self, *offers: TicketOffer) -> None:
        self.offers = {offer.schedule_id: offer for offer in offers}

    async def offer(self, schedule_id: str) -> TicketOffer | None:
        return self.offers.get(schedule_id)


class FakeDoor:
    def __init__(self) -> None:
        self.let_in_: list[tuple[str, int]] = []

    async def let_in(self, schedule: ScheduledSpace, user_id: int) -> bool:
        self.let_in_.append((schedule.id, user_id))
        return True


def ended() -> tuple[Space, list[ev.DomainEvent]]:
    space = live_space()
    events = space.end(HOST, later(60), "host_ended")
    return space, events


# --- a Space ended → its scheduled Space completes ---------------------------------------------------------------


async def test_an_ended_space_completes_the_schedule_it_came_from_once_per_batch() -> None:
    bus, schedules = MessageBus(), FakeSchedules({"s1": SCHEDULE})
    scheduled_end.register(bus, schedules.space_ended)
    space, events = ended()
    assert any(isinstance(event, ev.SpaceEnded) for event in events)
    await bus.publish(space, events)
    assert schedules.ended == [space.id]


async def test_other_events_complete_nothing() -> None:
    bus, schedules = MessageBus(), FakeSchedules({"s1": SCHEDULE})
    scheduled_end.register(bus, schedules.space_ended)
    space = live_space()
    await bus.publish(space, [ev.CohostAdded(space.id, 10), ev.MemberJoined(space.id, 13)])
    assert schedules.ended == []


async def test_a_schedule_that_cannot_complete_is_logged_and_the_end_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    bus, schedules = MessageBus(), FakeSchedules(fail=ConcurrentUpdate("someone saved first"))
    after: list[str] = []

    async def later_handler(space: Space, event: ev.SpaceEnded) -> None:
        after.append(space.id)

    scheduled_end.register(bus, schedules.space_ended)
    bus.subscribe(ev.SpaceEnded, later_handler)
    space, events = ended()
    await bus.publish(space, events)  # raises nothing: the Space has ended either way
    assert after == [space.id]
    assert f"scheduled Space of live Space {space.id} not completed" in caplog.text


# --- a co-host added → the ticket door -----------------------------------------------------------------------------


def door_on(schedules: FakeSchedules, offers: FakeOffers) -> tuple[MessageBus, FakeDoor]:
    bus, door = MessageBus(), FakeDoor()
    cohost_door.register(bus, door, schedule_of=schedules.of_live_space, offer_of=offers.offer)
    return bus, door


async def test_cohosts_added_to_a_live_ticketed_space_are_let_in_each() -> None:
    bus, door = door_on(FakeSchedules({"s1": SCHEDULE}), FakeOffers(OFFER))
    space = live_space()
    await bus.publish(space, [ev.CohostAdded(space.id, 10), ev.CohostAdded(space.id, 11)])
    assert door.let_in_ == [(SCHEDULE.id, 10), (SCHEDULE.id, 11)]


async def test_speakers_are_not_let_in_by_the_door() -> None:
    bus, door = door_on(FakeSchedules({"s1": SCHEDULE}), FakeOffers(OFFER))
    space = live_space()
    await bus.publish(space, [ev.SpeakerAdded(space.id, 10, "request")])
    assert door.let_in_ == []


@pytest.mark.parametrize(
    ("live", "offers"),
    [({}, FakeOffers(OFFER)), ({"s1": SCHEDULE}, FakeOffers())],
    ids=["opened with /space start", "scheduled without tickets"],
)
async def test_a_space_without_tickets_needs_no_door(live: dict[str, ScheduledSpace], offers: FakeOffers) -> None:
    bus, door = door_on(FakeSchedules(live), offers)
    space = live_space()
    await bus.publish(space, [ev.CohostAdded(space.id, 10)])
    assert door.let_in_ == []


async def test_a_lookup_that_fails_is_logged_and_lets_nobody_in(caplog: pytest.LogCaptureFixture) -> None:
    bus, door = door_on(FakeSchedules({"s1": SCHEDULE}, fail=NotFound("gone")), FakeOffers(OFFER))
    space = live_space()
    await bus.publish(space, [ev.CohostAdded(space.id, 10)])
    assert door.let_in_ == []
    assert f"co-host 10 of live Space {space.id} not let in yet" in caplog.text
