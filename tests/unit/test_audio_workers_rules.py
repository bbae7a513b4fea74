"""Audio workers without a network: which waiting Space gets which connection, the setting, the invite link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from bot.audio.workers import MAIN, Seat, WorkerPool, invite_url, next_seat
from bot.settings import Settings, SettingsError

T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_nothing_waits_nothing_is_seated() -> None:
    assert next_seat([], main_free=True, free_workers=[7]) is None


def test_the_earliest_started_waiting_space_takes_the_bots_own_connection_first() -> None:
    waiting = [("late", at(5)), ("early", at(1)), ("middle", at(3))]
    assert next_seat(waiting, main_free=True, free_workers=[7, 8]) == Seat("early", MAIN)


def test_with_the_bots_connection_taken_the_first_free_worker_in_setting_order_is_lent() -> None:
    waiting = [("late", at(5)), ("early", at(1))]
    assert next_seat(waiting, main_free=False, free_workers=[8, 7]) == Seat("early", 8)


def test_none_free_means_the_space_waits() -> None:
    assert next_seat([("early", at(1))], main_free=False, free_workers=[]) is None


def test_spaces_started_in_the_same_instant_are_ordered_by_id_so_a_restart_picks_the_same() -> None:
    assert next_seat([("b", at(1)), ("a", at(1))], main_free=True, free_workers=[]) == Seat("a", MAIN)


def test_seating_one_after_another_gives_each_waiting_space_its_own_connection() -> None:
    """What ServerAudio.settle does: seat, take the seated Space out, take its connection out, again."""
    waiting = [("a", at(1)), ("b", at(2)), ("c", at(3)), ("d", at(4))]
    main_free, free = True, [7, 8]
    seats = []
    while (seat := next_seat(waiting, main_free=main_free, free_workers=free)) is not None:
        seats.append(seat)
        waiting = [w for w in waiting if w[0] != seat.space_id]
        main_free = main_free and seat.connection != MAIN
        free = [f for f in free if f != seat.connection]
    assert seats == [Seat("a", MAIN), Seat("b", 7), Seat("c", 8)]
    assert waiting == [("d", at(4))]  # the fourth is told no connection is free


def test_a_pool_of_workers_not_yet_connected_has_none_free() -> None:
    pool = WorkerPool(("one", "two"))
    assert len(pool) == 2
    assert pool.free_in(1, busy=()) == [] and pool.invites_for(1) == [] and pool.members_of(1) == 0


def test_the_invite_asks_for_the_bot_scope_view_channel_and_connect_only() -> None:
    query = parse_qs(urlparse(invite_url(1234)).query)
    assert query["client_id"] == ["1234"] and query["scope"] == ["bot"]
    assert int(query["permissions"][0]) == (1 << 10) | (1 << 20)  # View Channel, Connect: never Speak


def test_worker_tokens_are_read_comma_separated() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "main", "AUDIO_WORKER_TOKENS": " one , two "})
    assert settings.audio_worker_tokens == ("one", "two")
    assert Settings.from_env({"DISCORD_TOKEN": "main"}).audio_worker_tokens == ()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("one,,two", "no empty entry"),
        ("one, tw o", "no empty entry"),
        ("one,one", "same token twice"),
        ("one,main", "must not hold DISCORD_TOKEN"),
    ],
)
def test_malformed_worker_tokens_are_refused_with_the_reason(raw: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says) as refused:
        Settings.from_env({"DISCORD_TOKEN": "main", "AUDIO_WORKER_TOKENS": raw})
    assert "AUDIO_WORKER_TOKENS" in str(refused.value)
