"""`JANUS_EDGES`: Janus API URLs, each with the host its mountpoints take RTP on; a bad one stops the bot at once."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError
from spaces_core.webrtc.janus import EdgeConfig, parse_edges

BASE = {"DISCORD_TOKEN": "token", "WEB_PORT": "8080"}


def test_no_edges_by_default_the_bot_serves_listeners_itself() -> None:
    assert Settings.from_env(BASE).janus_edges == ""


def test_edges_are_named_in_order_and_take_rtp_on_their_own_host_unless_told() -> None:
    text = " http://10.0.0.2:8088/janus , http://janus-b:8088/janus@10.0.0.3,"
    assert Settings.from_env({**BASE, "JANUS_EDGES": text}).janus_edges == text.strip()
    assert parse_edges(text) == [
        EdgeConfig("edge1", "http://10.0.0.2:8088/janus", "10.0.0.2"),
        EdgeConfig("edge2", "http://janus-b:8088/janus", "10.0.0.3"),
    ]


@pytest.mark.parametrize("bad", ["10.0.0.2:8088/janus", "ws://10.0.0.2:8188", "http://"])
def test_an_edge_that_is_not_an_http_url_is_refused_with_the_reason(bad: str) -> None:
    with pytest.raises(SettingsError, match=r"JANUS_EDGES: .* is not an http"):
        Settings.from_env({**BASE, "JANUS_EDGES": bad})


def test_edges_need_the_web_server() -> None:
    env = {"DISCORD_TOKEN": "token", "JANUS_EDGES": "http://10.0.0.2:8088/janus"}
    with pytest.raises(SettingsError, match="JANUS_EDGES needs WEB_PORT"):
        Settings.from_env(env)
