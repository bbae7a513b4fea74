"""Schedule rules with a hand-moved clock: start times, the horizon, the per-host limit, reminder offsets,
rescheduling, cancelling, starting and missing."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest

from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed
from spaces_core.domain.refs import TimeRef
from spaces_core.domain.schedule import JobKind, ScheduledSpace, SchedulePolicy, ScheduleState, reminder_label
from spaces_core.domain.when import parse_offsets, time_zone
from tests.unit.builders import ADMIN, HOST, MOD, NOW, member

POLICY = SchedulePolicy()


def planned(starts_in: timedelta, *, upcoming: int = 0, policy: SchedulePolicy = POLICY) -> ScheduledSpace:
    return ScheduledSpace.plan(
        schedule_id="a" * 32,
        guild_id=900,
        channel_id=901,
        host_id=HOST.user_id,
        title="Beat-making  Q&A",
        topics="beats, q&a",
        starts_at=NOW + starts_in,
        now=NOW,
        policy=policy,
        upcoming_of_host=upcoming,
    )


def test_plan_cleans_the_title_and_keeps_the_start():
    s = planned(timedelta(hours=2))
    assert s.title == "Beat-making Q&A" and s.topics == ("beats", "q&a")
    assert s.starts_at == NOW + timedelta(hours=2) and s.state is ScheduleState.UPCOMING


@pytest.mark.parametrize("starts_in", [timedelta(0), timedelta(minutes=-5)])
def test_a_time_in_the_past_is_refused(starts_in):
    with pytest.raises(InvalidInput, match="in the past") as info:
        planned(starts_in)
    assert info.value.refs == {"when": TimeRef(NOW + starts_in, "date_time")}


def test_beyond_the_horizon_is_refused_and_the_horizon_is_configurable():
    with pytest.raises(InvalidInput, match="30 days") as info:
        planned(timedelta(days=30, minutes=1))
    assert info.value.refs == {"when": TimeRef(NOW + timedelta(days=30, minutes=1), "full")}
    assert planned(timedelta(days=30)).starts_at == NOW + timedelta(days=30)
    with pytest.raises(InvalidInput, match="7 days"):
        planned(timedelta(days=8), policy=SchedulePolicy(horizon=timedelta(days=7)))


def test_an_eleventh_upcoming_space_is_refused():
    planned(timedelta(hours=1), upcoming=9)
    with pytest.raises(Conflict, match="limit is 10"):
        planned(timedelta(hours=1), upcoming=10)


def test_jobs_cover_every_offset_the_host_alert_the_start_and_the_missed_check():
    s = planned(timedelta(days=2))
    jobs = {job.key: job for job in s.jobs(NOW)}
    start = NOW + timedelta(days=2)
    assert jobs["remind:86400"].due == start - timedelta(days=1)
    assert jobs["remind:900"].due == start - timedelta(minutes=15)
    assert jobs["remind:0"].due == start
    assert jobs["host_alert"].due == start - timedelta(minutes=30)
    assert jobs["start"].due == start
    assert jobs["missed"].due == start + timedelta(minutes=15) and jobs["missed"].late_limit is None


def test_offsets_already_passed_are_skipped():
    s = planned(timedelta(minutes=10))
    keys = {job.key for job in s.jobs(NOW)}
    assert keys == {"remind:0", "start", "missed"}


def test_offsets_come_from_the_server_policy():
    s = planned(timedelta(days=1), policy=SchedulePolicy(reminder_offsets=(3600, 300)))
    assert [j.offset for j in s.jobs(NOW) if j.kind is JobKind.REMIND] == [3600, 300]
    with pytest.raises(InvalidInput, match="at most 5"):
        SchedulePolicy(reminder_offsets=(31 * 86400,))
    with pytest.raises(InvalidInput, match="7 days before"):
        SchedulePolicy(reminder_offsets=(8 * 86400,), horizon=timedelta(days=7))
    with pytest.raises(InvalidInput, match="at most 5"):
        SchedulePolicy(reminder_offsets=(1, 2, 3, 4, 5, 6))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h, 15m, 0", (86400, 900, 0)), ("0", (0,)), (" 1h 30m ,2 days,15m,15 min", (172800, 5400, 900))],
)
def test_parse_offsets_reads_what_admins_type(text, seconds):
    assert parse_offsets(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "24h,,0", "-5m", "soon", "3 fortnights"])
def test_unreadable_offsets_explain_the_form(text):
    with pytest.raises(InvalidInput, match="24h, 15m, 0"):
        parse_offsets(text)


def test_reschedule_takes_the_offsets_the_server_has_now():
    s = planned(timedelta(days=2))
    s.reschedule(HOST, NOW + timedelta(days=3), NOW, SchedulePolicy(reminder_offsets=(7200, 0)))
    assert s.reminder_offsets == (7200, 0)
    assert [j.offset for j in s.jobs(NOW) if j.kind is JobKind.REMIND] == [7200, 0]


def test_a_reminder_stays_useful_for_a_quarter_of_its_lead():
    jobs = {job.key: job for job in planned(timedelta(days=2)).jobs(NOW)}
    assert jobs["remind:86400"].late_limit == timedelta(hours=6)
    assert jobs["remind:900"].late_limit == timedelta(minutes=3, seconds=45)


def test_reschedule_moves_every_reminder_and_makes_old_jobs_stale():
    s = planned(timedelta(days=2))
    before = {job.key: job.due for job in s.jobs(NOW)}
    old = s.reschedule(HOST, NOW + timedelta(days=3), NOW, POLICY)
    assert old == NOW + timedelta(days=2)
    after = {job.key: job.due for job in s.jobs(NOW)}
    assert after.keys() == before.keys()
    assert all(after[k] == before[k] + timedelta(days=1) for k in before)
    assert not s.is_current(0) and s.is_current(1)


def test_reschedule_follows_the_same_time_rules_and_only_the_host_may():
    s = planned(timedelta(days=2))
    with pytest.raises(InvalidInput, match="past"):
        s.reschedule(HOST, NOW - timedelta(minutes=1), NOW, POLICY)
    with pytest.raises(NotAllowed):
        s.reschedule(member(50), NOW + timedelta(days=1), NOW, POLICY)
    assert s.revision == 0


def test_cancel_by_host_or_moderator_and_only_once():
    s = planned(timedelta(days=2))
    with pytest.raises(NotAllowed):
        s.cancel(member(50))
    s.cancel(MOD)
    assert s.state is ScheduleState.CANCELLED and not s.is_current(s.revision)
    with pytest.raises(Conflict, match="no longer upcoming"):
        s.cancel(ADMIN)


def test_go_live_window_and_missed_after_the_grace():
    s = planned(timedelta(hours=2))
    with pytest.raises(Conflict, match="from") as info:
        s.go_live(HOST, NOW)
    assert info.value.refs == {"opens": TimeRef(s.opens_at, "time")}  # a time of day: it opens today or soon
    start = NOW + timedelta(hours=2)
    with pytest.raises(NotAllowed):
        s.go_live(member(50), start)
    s.go_live(HOST, start - timedelta(minutes=5))
    assert not s.miss(start + timedelta(minutes=14))
    assert s.miss(start + timedelta(minutes=15)) and s.state is ScheduleState.MISSED
    with pytest.raises(Conflict):
        s.go_live(HOST, start + timedelta(minutes=16))


def test_startable_from_the_host_alert_until_the_grace_ends():
    s = planned(timedelta(hours=2))
    start = NOW + timedelta(hours=2)
    assert s.opens_at == start - timedelta(minutes=30)
    assert not s.startable(start - timedelta(minutes=31))
    assert s.startable(start - timedelta(minutes=30)) and s.startable(start + timedelta(minutes=14, seconds=59))
    assert not s.startable(start + timedelta(minutes=15))
    s.opened("b" * 32)
    assert not s.startable(start)


def test_opening_keeps_the_planned_title_and_topics_unless_new_ones_are_typed():
    s = planned(timedelta(hours=2))
    kept = s.opening(title="   ", topics=None)
    assert (kept.title, kept.topics) == ("Beat-making Q&A", ("beats", "q&a"))
    typed = s.opening(title=" Beats  live ", topics="drums")
    assert (typed.title, typed.topics) == ("Beats live", ("drums",))
    assert (s.title, s.topics) == ("Beat-making Q&A", ("beats", "q&a"))  # the schedule keeps its own
    with pytest.raises(InvalidInput, match="at most"):
        s.opening(title="x" * 71)


def test_opened_space_is_never_marked_missed():
    s = planned(timedelta(hours=2))
    s.opened("b" * 32)
    assert not s.miss(NOW + timedelta(days=1)) and s.state is ScheduleState.LIVE


@pytest.mark.parametrize(
    ("offset", "label"), [(0, "is starting now"), (900, "starts in 15 minutes"), (86400, "starts in 1 day")]
)
def test_reminder_labels(offset, label):
    assert reminder_label(offset) == label


BERLIN = ZoneInfo("Europe/Berlin")


def test_time_zones():
    assert time_zone(None) is UTC
    assert time_zone("Europe/Berlin") == BERLIN
    with pytest.raises(InvalidInput, match="Europe/Berlin"):
        time_zone("Mars/Olympus")
