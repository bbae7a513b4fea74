"""RECORDINGS_RETENTION_DAYS: 30 by default, fractions allowed, anything else refused with the setting's name."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


def days(raw: str | None) -> float:
    env = {"DISCORD_TOKEN": "t"} | ({} if raw is None else {"RECORDINGS_RETENTION_DAYS": raw})
    return Settings.from_env(env).recordings_retention_days


def test_thirty_days_by_default_and_fractions_allowed() -> None:
    assert days(None) == days("") == 30.0
    assert days("7") == 7.0 and days("0.5") == 0.5


@pytest.mark.parametrize("raw", ["0", "-1", "inf", "nan", "36501", "a month"])
def test_a_retention_that_would_delete_at_once_never_or_nothing_sensible_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="RECORDINGS_RETENTION_DAYS"):
        days(raw)
