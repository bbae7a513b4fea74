"""Voice updates, the host's grace, succession and restart reconciliation through SpaceService."""

from datetime import timedelta

import pytest

from spaces_core.domain import events as ev
from spaces_core.domain.errors import NotAllowed
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy
from spaces_core.domain.space import SpaceState
from tests.unit.services_support import GUILD, HOST, STAGE, App


async def test_host_leaving_uses_the_server_grace_then_a_cohost_takes_over() -> None:
    app = App()
    app.db.policies[GUILD] = GuildPolicy(guild_id=GUILD, grace_seconds=30)
    space = await app.start(present=(2, 3))
    await app.spaces.add_cohost(space.id, HOST, 2)
    await app.spaces.add_cohost(space.id, HOST, 3)
    await app.spaces.member_left(GUILD, STAGE, HOST.user_id)
    [left] = app.publisher.of(ev.HostLeft)
    assert left == ev.HostLeft(space.id, 1, app.clock.now() + timedelta(seconds=30))
    app.clock.advance(29)
    assert await app.spaces.run_due_successions() == []
    app.clock.advance(1)
    [changed] = await app.spaces.run_due_successions()
    assert (changed.host_id, changed.cohosts) == (2, [3])
    assert app.publisher.of(ev.HostChanged) == [ev.HostChanged(space.id, 1, 2)]
    assert await app.spaces.run_due_successions() == []
    assert await app.spaces.live_of_host(2) == changed


async def test_host_back_within_grace_keeps_the_space() -> None:
    app = App()
    space = await app.start(present=(2,))
    await app.spaces.add_cohost(space.id, HOST, 2)
    await app.spaces.member_left(GUILD, STAGE, HOST.user_id)
    app.clock.advance(20)
    space = await app.spaces.member_joined(GUILD, STAGE, HOST.user_id)  # type: ignore[assignment]
    assert app.publisher.of(ev.HostReturned) == [ev.HostReturned(space.id, 1)]
    app.clock.advance(600)
    assert await app.spaces.run_due_successions() == []
    assert (await app.spaces.get(space.id)).host_id == HOST.user_id


async def test_no_cohost_ends_the_space_when_the_grace_runs_out() -> None:
    app = App()
    await app.start(present=(10,))
    await app.spaces.member_left(GUILD, STAGE, HOST.user_id)
    app.clock.advance(60)
    [ended] = await app.spaces.run_due_successions()
    assert ended.state is SpaceState.ENDED
    [event] = app.publisher.of(ev.SpaceEnded)
    assert isinstance(event, ev.SpaceEnded) and event.reason == "host_left"
    assert event.summary.duration == timedelta(seconds=60)
    assert await app.spaces.live_in_channel(GUILD, STAGE) is None
    assert await app.spaces.live_of_host(HOST.user_id) is None


async def test_reconcile_after_a_restart() -> None:
    app = App()
    space = await app.start(present=(10, 11))
    await app.spaces.invite(space.id, HOST, 10)
    await app.spaces.accept_invite(space.id, 10)
    await app.spaces.remove(space.id, HOST, 11)
    # While the bot was down: the host and speaker 10 left, 12 came, and removed 11 sneaked back.
    space = await app.spaces.reconcile(GUILD, STAGE, {11, 12})  # type: ignore[assignment]
    assert space.present == {12}
    assert space.speakers == []
    assert space.host_absent_since == app.clock.now()
    assert ev.RejoinRefused(space.id, 11, "You were removed from this Space by the host.") in app.publisher.events
    # A second pass with the same members changes nothing.
    published = len(app.publisher.published)
    again = await app.spaces.reconcile(GUILD, STAGE, {12})
    assert again is not None and again.version == space.version
    assert len(app.publisher.published) == published


async def test_reconcile_notices_a_host_who_was_never_in_the_stage() -> None:
    app = App()
    await app.start()
    await app.spaces.reconcile(GUILD, STAGE, set())
    app.clock.advance(60)
    [ended] = await app.spaces.run_due_successions()
    assert ended.state is SpaceState.ENDED


async def test_repeated_voice_updates_do_not_write() -> None:
    app = App()
    await app.start(present=(10,))
    commits = app.db.commits
    await app.spaces.member_joined(GUILD, STAGE, 10)
    await app.spaces.member_left(GUILD, STAGE, 99)
    assert app.db.commits == commits


async def test_end_space_by_host_only() -> None:
    app = App()
    space = await app.start(present=(2,))
    await app.spaces.add_cohost(space.id, HOST, 2)
    with pytest.raises(NotAllowed, match="Only the host can end this Space"):
        await app.spaces.end_space(space.id, Actor(2))
    assert app.db.spaces[space.id].state is SpaceState.LIVE
    ended = await app.spaces.end_space(space.id, HOST)
    assert ended.state is SpaceState.ENDED and app.db.spaces[space.id].ended_at == app.clock.now()
