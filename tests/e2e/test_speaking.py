"""Who speaks: raised hands, the panel, invitations, moving back, muting, removing and blocking."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import eventually, live_space, start_space, voice


async def listeners(world: Any, *names: str) -> None:
    for name in names:
        await world.server.join_voice(world.guild_id, world[name], world.stage_id)
    await eventually(lambda: _present(world, names))


async def _present(world: Any, names: tuple[str, ...]) -> bool:
    space = await live_space(world)
    return space is not None and all(world[name] in space.present for name in names)


def card_button(world: Any, prefix: str) -> tuple[int, str]:
    for message in world.server.messages(world.stage_id):
        for row in message.get("components") or []:
            for component in row["components"]:
                if str(component.get("custom_id", "")).startswith(prefix):
                    return message["id"], component["custom_id"]
    raise AssertionError(f"no button {prefix}")


async def test_discord_raise_hand_then_approve_unsuppresses_the_member(world):
    await start_space(world)
    await listeners(world, "cole")
    await world.server.raise_hand(world.guild_id, world["cole"])
    await eventually(lambda: _queued(world, "cole"))
    record: Any = await world.slash(world.stage_id, world["hana"], "stage approve", member=world["cole"])
    assert "speaker" in record.content
    await eventually(lambda: voice(world, "cole")["suppress"] is False)


async def test_card_button_then_panel_approve(world):
    await start_space(world)
    await listeners(world, "lee")
    message_id, custom_id = card_button(world, "sp:req:")
    record: Any = await world.server.click(world["lee"], message_id, custom_id)
    assert record.ephemeral and "number 1" in record.content
    panel: Any = await world.slash(world.stage_id, world["hana"], "space panel")
    approve = next(
        c["custom_id"] for row in panel.components for c in row["components"] if c["custom_id"].startswith("sp:ok:")
    )
    await world.server.click(world["hana"], panel.message_id, approve)
    await eventually(lambda: voice(world, "lee")["suppress"] is False)


async def test_moderator_can_approve_but_a_listener_cannot(world):
    await start_space(world)
    await listeners(world, "cole", "lee", "mo")
    await world.server.raise_hand(world.guild_id, world["cole"])
    await eventually(lambda: _queued(world, "cole"))
    refused: Any = await world.slash(world.stage_id, world["lee"], "stage approve", member=world["cole"])
    assert refused.ephemeral and "only" in refused.content.lower()
    assert voice(world, "cole")["suppress"] is True
    await world.slash(world.stage_id, world["mo"], "stage approve", member=world["cole"])
    await eventually(lambda: voice(world, "cole")["suppress"] is False)


async def test_deny_keeps_the_member_in_the_audience(world):
    await start_space(world)
    await listeners(world, "cole")
    await world.server.raise_hand(world.guild_id, world["cole"])
    await eventually(lambda: _queued(world, "cole"))
    await world.slash(world.stage_id, world["hana"], "stage deny", member=world["cole"])
    await eventually(lambda: _not_queued(world, "cole"))
    assert voice(world, "cole")["suppress"] is True


async def test_invite_needs_consent_accept_and_decline(world):
    await start_space(world)
    await listeners(world, "cole", "lee")
    await world.slash(world.stage_id, world["hana"], "stage invite", member=world["cole"])
    assert voice(world, "cole")["suppress"] is True  # nothing happens before they accept
    message_id, accept = card_button(world, "sp:inv:yes:")
    stranger: Any = await world.server.click(world["lee"], message_id, accept)
    assert stranger.ephemeral and "someone else" in stranger.content
    await world.server.click(world["cole"], message_id, accept)
    await eventually(lambda: voice(world, "cole")["suppress"] is False)

    await world.slash(world.stage_id, world["hana"], "stage invite", member=world["lee"])
    await eventually(lambda: _has_button(world, "sp:inv:no:"))
    message_id, decline = [b for b in _buttons(world, "sp:inv:no:") if str(world["lee"]) in b[1]][-1]
    await world.server.click(world["lee"], message_id, decline)
    space = await live_space(world)
    assert world["lee"] not in space.speakers and world["lee"] not in space.invites
    assert voice(world, "lee")["suppress"] is True


async def test_move_to_audience_and_mute(world):
    await start_space(world)
    await listeners(world, "cole")
    await world.server.raise_hand(world.guild_id, world["cole"])
    await eventually(lambda: _queued(world, "cole"))
    await world.slash(world.stage_id, world["hana"], "stage approve", member=world["cole"])
    await eventually(lambda: voice(world, "cole")["suppress"] is False)
    await world.slash(world.stage_id, world["hana"], "stage mute", member=world["cole"])
    await eventually(lambda: voice(world, "cole")["mute"] is True)
    await world.slash(world.stage_id, world["hana"], "stage move", member=world["cole"])
    await eventually(lambda: voice(world, "cole")["suppress"] is True)


async def test_removed_member_is_disconnected_and_cannot_rejoin(world):
    await start_space(world)
    await listeners(world, "cole")
    await world.slash(world.stage_id, world["hana"], "stage remove", member=world["cole"])
    await eventually(lambda: world.server.voice_state(world.guild_id, world["cole"]) is None)
    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    await eventually(lambda: world.server.voice_state(world.guild_id, world["cole"]) is None)
    await eventually(lambda: any("can't join" in m["content"] for m in world.server.dms(world["cole"])))


async def test_blocked_member_cannot_join_the_hosts_next_space(world):
    await start_space(world)
    await listeners(world, "cole")
    await world.slash(world.stage_id, world["hana"], "stage block", member=world["cole"])
    await eventually(lambda: world.server.voice_state(world.guild_id, world["cole"]) is None)
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: world.server.stage_instance(world.stage_id) is None)
    await world.slash(world.stage_id, world["hana"], "space start", title="Round two")
    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    await eventually(lambda: world.server.voice_state(world.guild_id, world["cole"]) is None)


async def _queued(world: Any, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] in space.queue


async def _not_queued(world: Any, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] not in space.queue


def _buttons(world: Any, prefix: str) -> list[tuple[int, str]]:
    found = []
    for message in world.server.messages(world.stage_id):
        for row in message.get("components") or []:
            for component in row["components"]:
                if str(component.get("custom_id", "")).startswith(prefix):
                    found.append((message["id"], component["custom_id"]))
    return found


def _has_button(world: Any, prefix: str) -> bool:
    return bool(_buttons(world, prefix))


async def test_a_listener_pressing_the_hosts_approve_button_is_refused(world):
    await start_space(world)
    await listeners(world, "cole", "lee")
    await world.server.raise_hand(world.guild_id, world["cole"])
    await eventually(lambda: _queued(world, "cole"))
    panel: Any = await world.slash(world.stage_id, world["hana"], "space panel")
    approve = next(
        c["custom_id"] for row in panel.components for c in row["components"] if c["custom_id"].startswith("sp:ok:")
    )
    refused: Any = await world.server.click(world["lee"], panel.message_id, approve)
    assert refused.ephemeral
    assert "only" in refused.content.lower()
    assert await _queued(world, "cole")
    assert voice(world, "cole")["suppress"] is True
