"""ScheduleService over the in-memory fakes: per-server reminder offsets, starting early, and which scheduled
Space `/space start` opens."""

from __future__ import annotations

import pytest

from spaces_core.domain.errors import InvalidInput
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy
from tests.unit.schedule_support import Scheduling
from tests.unit.services_support import GUILD, HOST, STAGE

ADMIN = Actor(4, is_admin=True)


async def _schedule(
    s: Scheduling,
    when: str = "in 2 days",
    guild_id: int = GUILD,
    channel_id: int = STAGE,
    title: str = "Beat-making Q&A",
):
    return await s.service.schedule(
        guild_id=guild_id, channel_id=channel_id, actor=HOST, title=title, topics="beats", when=when
    )


async def test_a_server_without_offsets_keeps_the_bot_default():
    s = Scheduling()
    planned = await _schedule(s)
    assert planned.reminder_offsets == (86400, 900, 0) and s.planner.offsets(planned.id) == [86400, 900, 0]


async def test_the_servers_offsets_are_used_when_scheduling_and_rescheduling():
    s = Scheduling()
    policy = await s.app.settings.update_policy(GUILD, ADMIN, reminder_offsets="2h, 10m, 0")
    assert policy.reminder_offsets == (7200, 600, 0)
    planned = await _schedule(s)
    assert (await s.service.get(planned.id)).reminder_offsets == (7200, 600, 0)
    assert s.planner.offsets(planned.id) == [7200, 600, 0]
    other = await _schedule(s, guild_id=GUILD + 1)  # another server: the default
    assert other.reminder_offsets == (86400, 900, 0)

    await s.app.settings.update_policy(GUILD, ADMIN, reminder_offsets="1d, 1h")
    moved = await s.service.reschedule(actor=HOST, when="in 3 days", title="Beat")
    assert moved.reminder_offsets == (86400, 3600)
    assert s.planner.offsets(planned.id) == [86400, 3600]  # only the new revision's jobs are left

    await s.app.settings.update_policy(GUILD, ADMIN, reminder_offsets="default")
    assert (await s.app.settings.policy(GUILD)).reminder_offsets is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("24h, 15m, 0, 5m, 1m, 2m", "at most 5"),
        ("31d", "30 days before"),
        ("soon", "24h, 15m, 0"),
        ("15", "24h, 15m, 0"),
        ("", "24h, 15m, 0"),
    ],
)
async def test_bad_offsets_are_refused_and_nothing_is_stored(typed, message):
    s = Scheduling()
    with pytest.raises(InvalidInput, match=message):
        await s.app.settings.update_policy(GUILD, ADMIN, speaker_limit=5, reminder_offsets=typed)
    assert await s.app.settings.policy(GUILD) == GuildPolicy(guild_id=GUILD)


async def test_offsets_may_reach_the_horizon_and_passed_ones_are_skipped():
    s = Scheduling()
    await s.app.settings.update_policy(GUILD, ADMIN, reminder_offsets="30d, 1h")
    planned = await _schedule(s, when="in 5h")
    assert planned.reminder_offsets == (30 * 86400, 3600) and s.planner.offsets(planned.id) == [3600]


async def test_starting_early_tells_the_audience_once_and_followers_only_through_the_go_live_dm():
    s = Scheduling()
    fan, fan_without_dms, button, curious = 10, 11, 12, 13
    for follower in (fan, fan_without_dms):
        await s.app.follows.follow(follower, HOST.user_id)
    await s.app.settings.set_live_dms(fan_without_dms, False)
    planned = await _schedule(s, when="in 2h")
    for member in (fan, fan_without_dms, button):  # a follower who also pressed Remind me is still told once
        await s.service.toggle_reminder(planned.id, member)
    assert planned.event_id is not None and await s.service.set_interest(planned.event_id, curious, True)

    s.app.clock.advance(100 * 60)  # 20 minutes early: the 15 min and at-start reminders are still to come
    space = await s.service.start_now(planned.id, HOST)
    assert s.announcer.said[-1] == ("live", planned.id, (fan_without_dms, button, curious))
    assert not any(sid == planned.id for sid, _, _ in s.planner.planned)  # no reminder left to fire
    assert (await s.service.get(planned.id)).live_space_id == space.id


async def test_when_the_live_space_ends_its_schedule_ends_once():
    s = Scheduling()
    planned = await _schedule(s, when="in 10m")
    space = await s.service.start_now(planned.id, HOST)
    assert await s.service.space_ended(space.id)
    assert s.announcer.said[-1] == ("ended", planned.id, ())
    assert (await s.service.get(planned.id)).state.value == "ended"
    assert not await s.service.space_ended(space.id) and not await s.service.space_ended("unscheduled")
    assert [kind for kind, _, _ in s.announcer.said].count("ended") == 1


async def test_space_start_finds_the_hosts_space_due_on_that_stage_and_nothing_further_out():
    s = Scheduling()
    later = await _schedule(s, when="in 2h", title="Later")
    soon = await _schedule(s, when="in 20m", title="Soon")
    elsewhere = await _schedule(s, when="in 10m", channel_id=STAGE + 1, title="Elsewhere")
    await _schedule(s, when="in 10m", guild_id=GUILD + 1, title="Other server")

    def found(channel_id: int | None = STAGE, host_id: int = HOST.user_id):
        return s.service.startable_by(guild_id=GUILD, host_id=host_id, channel_id=channel_id)

    assert (await found()).id == soon.id  # 20 min ahead: inside the 30 min in which Start now works
    assert (await found(STAGE + 1)).id == elsewhere.id
    assert (await found(None)).id == elsewhere.id  # no Stage meant: the soonest of the server
    assert await found(STAGE + 2) is None and await found(host_id=HOST.user_id + 1) is None
    s.app.clock.advance(20 * 60 + 14 * 60)  # "Soon" is 14 min overdue (grace 15), "Later" 1 h 26 min away
    assert (await found()).id == soon.id
    s.app.clock.advance(60)  # the grace of "Soon" is over: it is for the missed-start job now
    assert await found() is None
    s.app.clock.advance(60 * 60)  # "Later" is 25 min away
    assert (await found()).id == later.id


async def test_start_now_opens_with_what_the_host_typed_and_the_schedule_keeps_its_name():
    s = Scheduling()
    planned = await _schedule(s, when="in 10m")
    space = await s.service.start_now(planned.id, HOST, title="Beats, live", topics="drums, 808")
    assert (space.title, space.topics) == ("Beats, live", ("drums", "808"))
    stored = await s.service.get(planned.id)
    assert (stored.title, stored.topics, stored.live_space_id) == ("Beat-making Q&A", ("beats",), space.id)
    assert s.announcer.said[-1][:2] == ("live", planned.id)


async def test_start_now_with_nothing_typed_keeps_the_planned_title_and_a_bad_title_changes_nothing():
    s = Scheduling()
    planned = await _schedule(s, when="in 10m")
    with pytest.raises(InvalidInput, match="at most 70"):
        await s.service.start_now(planned.id, HOST, title="x" * 80)
    assert (await s.service.get(planned.id)).is_upcoming and await s.app.spaces.live_of_host(HOST.user_id) is None
    space = await s.service.start_now(planned.id, HOST, title=None, topics="")
    assert (space.title, space.topics) == ("Beat-making Q&A", ("beats",))
