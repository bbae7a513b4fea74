"""Host analytics in the store, on SQLite and PostgreSQL: samples in order and thinned, talk time added up, hand
waits opened and closed, a member's own Spaces, the view refused to others, and all of it gone with the Space."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from spaces_core.domain.errors import NotAllowed
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space
from spaces_core.domain.stats import StatsSample
from spaces_core.domain.tickets import Order, OrderState, TicketOffer
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.settings import SettingsService
from spaces_core.services.stats import StatsService
from spaces_core.store.database import alembic_config, migrate
from tests.fakes import FakeClock
from tests.integration.tickets_support import GUILD, add_schedule

T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
HOST, COHOST, LISTENER = 2**62 + 1, 2**62 + 2, 2**62 + 3


async def live_space(uows: UnitOfWorkFactory, space_id: str = "s1", host: int = HOST, minute: int = 0) -> Space:
    at = T0 + timedelta(minutes=minute)
    space, _ = Space.open(
        space_id=space_id, guild_id=7, channel_id=minute, host_id=host, title="AMA", topics="", now=at
    )
    space.cohosts.append(COHOST)
    async with uows() as uow:
        await uow.spaces.add(space)
        await uow.commit()
    return space


def sample(seconds: int, listeners: int) -> StatsSample:
    return StatsSample(T0 + timedelta(seconds=seconds), listeners, 1, 1, 0, {"🔥": seconds})


async def test_samples_talk_and_waits_make_the_chart(uows: UnitOfWorkFactory) -> None:
    clock = FakeClock(T0)
    stats = StatsService(uows, clock)
    await live_space(uows)
    for i in range(5):
        assert await stats.record("s1", sample(5 * i, i), {HOST: 100}) == i + 1
    await stats.record("s1", None, {HOST: 50, COHOST: 2**40})
    await stats.hand_raised("s1", LISTENER)
    clock.current = T0 + timedelta(seconds=12)
    await stats.hand_lowered("s1", LISTENER, "approved")
    await stats.hand_lowered("s1", LISTENER, "cancelled")  # nothing open any more: nothing changes
    await stats.hand_raised("s1", COHOST)
    view = await stats.view("s1", Actor(HOST), 7)
    chart = view.chart
    assert chart.discord == [0, 1, 2, 3, 4] and chart.listeners == [1, 2, 3, 4, 5]
    assert chart.reactions == {"🔥": [0, 5, 10, 15, 20]}
    assert chart.talk_seconds == {COHOST: 2**40 / 1000, HOST: 0.55}
    assert (chart.wait_median, chart.wait_longest, chart.waits, chart.unanswered) == (12.0, 12.0, 1, 1)


async def test_thinning_drops_every_other_sample(uows: UnitOfWorkFactory) -> None:
    stats = StatsService(uows, FakeClock(T0))
    await live_space(uows)
    for i in range(6):
        await stats.record("s1", sample(i, i), {})
    assert await stats.thin("s1") == 3
    chart = (await stats.view("s1", Actor(HOST), 7)).chart
    assert chart.discord == [0, 2, 4]


async def test_only_hosts_cohosts_and_admins_see_the_stats(uows: UnitOfWorkFactory) -> None:
    stats = StatsService(uows, FakeClock(T0))
    await live_space(uows)
    await live_space(uows, "s2", host=LISTENER, minute=1)
    with pytest.raises(NotAllowed, match="host and co-hosts"):
        await stats.view("s1", Actor(LISTENER), 7)
    assert (await stats.view("s1", Actor(COHOST), 7)).space.id == "s1"
    assert (await stats.view("s1", Actor(LISTENER, is_admin=True), 7)).space.id == "s1"
    assert [s.id for s in await stats.spaces_of(7, Actor(HOST))] == ["s1"]
    assert {s.id for s in await stats.spaces_of(7, Actor(HOST, is_admin=True))} == {"s1", "s2"}
    assert [h.space_id for h in await stats.history(7, COHOST)] == ["s2", "s1"], "newest first"


async def test_privacy_delete_takes_a_members_talk_time_and_waits(uows: UnitOfWorkFactory) -> None:
    stats = StatsService(uows, FakeClock(T0))
    await live_space(uows)
    await stats.record("s1", sample(0, 1), {HOST: 10, LISTENER: 20})
    await stats.hand_raised("s1", LISTENER)
    await stats.hand_raised("s1", COHOST)
    await SettingsService(uows).delete_member_data(LISTENER)
    async with uows() as uow:
        assert await uow.stats.talk("s1") == {HOST: 10}
        assert [w.user_id for w in await uow.stats.waits("s1")] == [COHOST]
        assert await uow.stats.count_samples("s1") == 1


async def test_the_stats_go_with_their_space(uows: UnitOfWorkFactory) -> None:
    stats = StatsService(uows, FakeClock(T0))
    await live_space(uows)
    await stats.record("s1", sample(0, 1), {HOST: 10})
    await stats.hand_raised("s1", LISTENER)
    async with uows() as uow:
        await uow._session.execute(text("DELETE FROM spaces WHERE id = 's1'"))  # type: ignore[attr-defined]
        await uow.commit()
    assert await stats.stored("s1") == 0
    async with uows() as uow:
        assert await uow.stats.talk("s1") == {}
        assert await uow.stats.waits("s1") == []


async def test_migration_0011_goes_down_and_up_again(tmp_path: Path) -> None:
    path = tmp_path / "spaces.db"
    url = f"sqlite+aiosqlite:///{path}"

    def tables() -> set[str]:
        with sqlite3.connect(path) as db:
            return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'space_%'")}

    await migrate(url)
    assert {"space_stats_samples", "space_talk_time", "space_hand_waits"} <= tables()
    config = alembic_config(url)
    await asyncio.to_thread(command.downgrade, config, "0010")
    assert not {"space_stats_samples", "space_talk_time", "space_hand_waits"} & tables()
    await asyncio.to_thread(command.upgrade, config, "head")
    assert {"space_stats_samples", "space_talk_time", "space_hand_waits"} <= tables()


async def test_a_ticketed_space_shows_its_tickets_sold_and_net_revenue(uows: UnitOfWorkFactory) -> None:
    stats = StatsService(uows, FakeClock(T0))
    await live_space(uows)
    assert (await stats.view("s1", Actor(HOST), 7)).chart.tickets is None, "not ticketed"
    schedule = await add_schedule(uows, T0 - timedelta(days=2))
    schedule.opened("s1")
    offer = TicketOffer(schedule.id, GUILD, HOST, price_cents=500, currency="eur")
    async with uows() as uow:
        await uow.schedules.save(schedule)
        await uow.tickets.add_offer(offer)
        for n, state in enumerate([OrderState.PAID, OrderState.PAID, OrderState.REFUNDED, OrderState.PENDING]):
            order = Order(f"o{n}", schedule.id, 100 + n, state, 500, "eur", T0, T0 + timedelta(hours=1), fee_cents=50)
            await uow.tickets.add_order(order)
        await uow.commit()
    tickets = (await stats.view("s1", Actor(HOST), 7)).chart.tickets
    assert tickets is not None and tickets.sold == 2
    assert tickets.revenue == "9.00 EUR", "three charged (15.00), one refunded (5.00), fees on the two kept (1.00)"
