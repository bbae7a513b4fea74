"""HLS settings: off by default, on with a directory (and a web port), and malformed values refused by name."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError

BASE = {"DISCORD_TOKEN": "token", "WEB_PORT": "8080"}


def test_hls_is_off_by_default_and_on_with_a_directory() -> None:
    assert Settings.from_env(BASE).hls_dir == ""
    settings = Settings.from_env({**BASE, "HLS_DIR": "data/hls", "HLS_BASE_URL": "https://cdn.example/hls/"})
    assert (settings.hls_dir, settings.hls_base_url, settings.hls_segment_seconds) == (
        "data/hls",
        "https://cdn.example/hls",
        1.0,
    )
    assert Settings.from_env({**BASE, "HLS_DIR": "x", "HLS_SEGMENT_SECONDS": "2"}).hls_segment_seconds == 2.0


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HLS_BASE_URL": "cdn.example/hls"}, "HLS_BASE_URL"),
        ({"HLS_SEGMENT_SECONDS": "1.01"}, "HLS_SEGMENT_SECONDS"),  # not a whole number of 20 ms frames
        ({"HLS_SEGMENT_SECONDS": "10"}, "HLS_SEGMENT_SECONDS"),
        ({"HLS_SEGMENT_SECONDS": "fast"}, "HLS_SEGMENT_SECONDS"),
    ],
)
def test_malformed_hls_settings_are_refused_by_name(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env({**BASE, "HLS_DIR": "data/hls", **env})


def test_hls_needs_the_web_server() -> None:
    with pytest.raises(SettingsError, match="HLS_DIR needs WEB_PORT"):
        Settings.from_env({"DISCORD_TOKEN": "token", "HLS_DIR": "data/hls"})
