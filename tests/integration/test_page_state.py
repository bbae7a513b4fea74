"""The listen page's state for a live Space: roles, listeners on Discord and on the web apart, server and links,
and who someone is comes from the callback the composition root hands in (here, plain functions)."""

from __future__ import annotations

from bot.audio.rooms import AudioRooms
from bot.web.page_state import Place, Someone, page_state
from tests.unit.builders import COHOST, GUILD, HOST, STAGE, live_space


def who(guild: int, user: int) -> Someone:
    assert guild == GUILD
    return Someone(
        f"member {user}", None if user == COHOST.user_id else f"https://cdn.discordapp.com/avatars/{user}/a.png"
    )


async def test_the_state_names_everyone_on_stage_with_their_role_and_counts_listeners_apart() -> None:
    space = live_space(cohost=True)  # present: 10, 11, 12 and the co-host
    space.speakers.append(10)
    space.links.append("https://example.org/notes")
    space.reactions["👏"] = 3
    audio = AudioRooms(web_host="127.0.0.1")
    try:
        room = audio.open(space)
        state = page_state(room, who, Place("Beat Makers", None))
    finally:
        await audio.stop()
    assert [(p["id"], p["role"], p["avatar"] is not None) for p in state["speakers"]] == [
        (str(HOST.user_id), "host", True),
        (str(COHOST.user_id), "cohost", False),
        ("10", "speaker", True),
    ]
    assert state["listeners"] == {"discord": 2, "web": 0}  # 11 and 12: the three on stage are not listeners
    assert state["server"] == {"name": "Beat Makers", "icon": None}
    assert state["discord"] == f"https://discord.com/channels/{GUILD}/{STAGE}"
    assert state["topics"] == ["music", "chat"]
    assert state["links"] == ["https://example.org/notes"] and state["reactions"] == {"👏": 3}
