"""End-to-end fixtures: the real bot, built by `bot.bootstrap`, against the local Discord-compatible server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.world import World, eventually, open_world
from sandbox import InteractionRecord

__all__ = ["configure", "eventually", "live_space", "press", "start_space", "voice"]

TICKET_SCHEDULES = {"reminder_offsets": (0,), "host_alert_seconds": 1.0, "schedule_grace_seconds": 60.0}


@pytest.fixture(autouse=True)
def nothing_discord_would_refuse(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which the bot sent the local Discord something Discord refuses (an oversize embed, a late
    interaction response...), even when the bot caught the error and the test saw nothing wrong."""
    yield
    # Autouse fixtures are torn down last: the other fixtures' teardown records are in caplog.records already.
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    refused = [r.getMessage() for r in records if r.name == "sandbox.refusals"]
    assert not refused, "the bot sent what Discord refuses:\n" + "\n".join(refused)


async def configure(world: World, **options: object) -> None:
    record = await world.slash(world.chat_id, world.owner, "server-settings", **options)
    assert "saved" in (record.content or ""), record.content


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        # Recordings under the test's own folder, never the checkout's data/ (RECORDINGS_DIR's default).
        await w.start_bot(recordings_dir=str(tmp_path / "recordings"))
        await configure(w, feed_channel=w.feed_id, grace_seconds=1)
        yield w
    finally:
        await w.close()


@pytest.fixture
async def ticket_world(tmp_path: Path) -> AsyncIterator[World]:
    """With the local Stripe server and tickets on; scheduled Spaces prompt the host right at the start (no
    reminders before) and wait a minute for Start now, so no slow test sees a missed start."""
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db", stripe=True)
    try:
        await w.start_bot(**TICKET_SCHEDULES)
        await configure(w, feed_channel=w.feed_id)
        yield w
    finally:
        await w.close()


async def start_space(world: World, host: str = "hana", **options: object) -> object:
    """The host joins the Stage and starts a Space there; returns the interaction record."""
    await world.server.join_voice(world.guild_id, world[host], world.stage_id)
    await world.server.wait_for(lambda: world.bot.bot.get_channel(world.stage_id) is not None)
    options.setdefault("title", "Friday AMA")
    options.setdefault("topics", "music, production")
    record = await world.slash(world.stage_id, world[host], "space start", **options)
    return record


def voice(world: World, name: str) -> dict[str, object]:
    state = world.server.voice_state(world.guild_id, world[name])
    assert state is not None, f"{name} is not in a voice channel"
    return state


async def live_space(world: World) -> Any:
    return await world.bot.bot.app.spaces.live_in_channel(world.guild_id, world.stage_id)


async def press(world: World, user_id: int, record: InteractionRecord, label: str) -> InteractionRecord:
    """`user_id` presses the button labelled `label` on the bot's answer `record` (ephemeral ones included)."""
    found = [c for row in record.components for c in row.get("components") or [] if c.get("label") == label]
    assert found, f"no {label!r} button on {record.content!r}"
    assert record.message_id is not None
    click = await world.server.click(user_id, record.message_id, found[0]["custom_id"], timeout=10.0)
    assert click.responded, f"the bot did not answer {label!r}"
    await click.wait_done(timeout=10.0)
    return click
