"""The demo's captions: hana turns them on, hana and lee say real sentences (espeak-ng) on the Stage, and the Stage
chat's one "Live captions" message shows them under their names; after the end, the recap beside the summary card.

Speech needs Debian's `espeak-ng` and the packaged whisper model; without either the act says so and the story
goes on (the demo never fails for an optional part).
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from demo.narrator import Narrator
from demo.world import World, eventually
from sandbox.speech import SpeechUnavailable, encode_opus, speech

__all__ = ["caption_a_conversation", "show_recap"]

HEADER = "💬 **Live captions**"
SAID = {
    "hana": "Welcome to the Friday AMA. What should we talk about first?",
    "lee": "I would love to hear how you mix your drums.",
}
CAPTIONED = 60.0  # a deadline for the story, not a speed claim: a slow machine transcribes two voices at once


def _captions(world: World) -> str:
    found = [m for m in world.server.messages(world.stage_id) if (m.get("content") or "").startswith(HEADER)]
    return str(found[-1]["content"]) if found else ""


async def caption_a_conversation(world: World, say: Narrator) -> bool:
    """True when the Space was captioned (so a recap of what was said will follow its end)."""
    try:
        voices = {who: encode_opus(_padded(speech(text))) for who, text in SAID.items()}
    except SpeechUnavailable:
        say(
            "",
            "(espeak-ng is not installed, so nobody speaks and there is nothing to caption: apt-get install espeak-ng)",
        )
        return False
    record: Any = await world.slash(world.stage_id, world["hana"], "space captions", mode="on")
    say("hana", f"/space captions on → {record.content}")
    if "Captions are on" not in (record.content or ""):
        return False  # e.g. the model is missing: the answer above says which setting to fix
    for who, text in SAID.items():
        say(who, f'says: "{text}"')
    await asyncio.gather(*(world.server.speak(world.guild_id, world[who], packets) for who, packets in voices.items()))
    await eventually(lambda: all(f"**{who}**:" in _captions(world) for who in SAID), timeout=CAPTIONED)
    say("Spaces", f"the Live captions message in the Stage chat:\n{_captions(world)}")
    return True


def _padded(voice: np.ndarray) -> np.ndarray:
    """Half a second of silence around the sentence, as a person leaves between speaking turns."""
    gap = np.zeros(24_000, np.float32)
    return np.concatenate([gap, voice, gap])


async def show_recap(world: World, say: Narrator) -> None:
    """The recap replies to the ended card once the last captions are stored (it waits for them)."""

    def recap() -> dict[str, Any] | None:
        for message in world.server.messages(world.stage_id):
            for embed in message.get("embeds") or []:
                if str(embed.get("title", "")).startswith("Recap"):
                    return dict(embed)
        return None

    await eventually(lambda: recap() is not None, timeout=CAPTIONED)
    embed = recap()
    assert embed is not None  # waited for just above
    say("Spaces", f"replies to the card with the recap: {embed['title']}")
    if embed.get("description"):
        say("", str(embed["description"]))
    for field in embed.get("fields", []):
        say("", f"{field['name']}: {field['value']}")
