"""A Stage Discord refuses to open: the bus hands the Stage-opening handler's error to `/space start`, which says
so and leaves no live Space behind. Its own module: Discord's refusal is the point here, not a bot mistake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.models import StageInstance
from tests.e2e.conftest import live_space, start_space

ALREADY_OPEN = "A stage instance already exists for this channel"


@pytest.fixture(autouse=True)
def nothing_discord_would_refuse(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The suite's guard, narrowed: the one refusal planted below is expected; any other still fails the test."""
    yield
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    refused = [r.getMessage() for r in records if r.name == "sandbox.refusals"]
    assert refused and all(ALREADY_OPEN in message for message in refused), refused


async def test_a_stage_discord_refuses_to_open_is_reported_and_leaves_no_live_space(world: Any) -> None:
    # An instance the bot's cache never heard of (nothing announced it): creating another is refused with a 400.
    model = world.server.world
    planted = StageInstance(model.ids.next(), world.guild_id, world.stage_id, "Someone else's talk")
    model.guilds[world.guild_id].stage_instances[world.stage_id] = planted
    record: Any = await start_space(world)
    assert record.ephemeral and "went wrong" in record.content and "live" not in record.content
    assert await live_space(world) is None
    assert not [m for m in world.server.messages(world.stage_id) if m.get("embeds")]  # no card for it
