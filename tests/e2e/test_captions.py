"""Live captions as members see them: simulated speakers say real sentences (espeak-ng) on the Stage, the Stage
chat's one "Live captions" message shows them under the speakers' names, and the transcript is stored, without
the member who opted out of recording. The bot's whisper model is the packaged tiny.en; the word check is loose
(it mishears espeak's robot voice now and then)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.captions.render import HEADER
from demo.world import World
from sandbox.speech import encode_opus, speech
from spaces_core.captions.models import tiny_model_dir
from spaces_core.captions.transcriber import ModelMissing, packaged_model_dir
from spaces_core.services.transcripts import TranscriptService
from spaces_core.store.database import create_engine, make_uow_factory
from tests.e2e.conftest import eventually, live_space, start_space
from tests.e2e.test_audio_receive import audio_has_flowed, room_of
from tests.e2e.test_recording import bring_up, record
from tests.e2e.test_server_audio import open_second, said_why
from tests.missing import CAPTIONS_MODEL, ESPEAK

try:
    packaged_model_dir()
except ModelMissing:
    pytest.skip(CAPTIONS_MODEL, allow_module_level=True)
try:
    speech("a")
except Exception:
    pytest.skip(ESPEAK, allow_module_level=True)

SAID = {
    "hana": "Please call Stella and ask her to bring these things with her from the store.",
    "cole": "We will meet again next week to talk about the new garden.",
    "maya": "Thank you all for coming to the show tonight.",
}
LATER = "The quick brown fox jumps over the lazy dog."
CAPTIONED = 30.0  # a poll's deadline, not a speed check: two shared cores transcribe three speakers at once


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z']+", text.lower()) if len(w) >= 4}


def share_heard(said: str, heard: str) -> float:
    wanted = content_words(said)
    return len(wanted & content_words(heard)) / len(wanted)


def captions_message(world: World) -> dict[str, Any] | None:
    found = [m for m in world.server.messages(world.stage_id) if (m.get("content") or "").startswith(HEADER)]
    assert len(found) <= 1, "one Live captions message per Space"
    return found[0] if found else None


def captions_text(world: World) -> str:
    message = captions_message(world)
    return message["content"] if message is not None else ""


def name_of(world: World, who: str) -> str:
    return world.bot.bot.get_guild(world.guild_id).get_member(world[who]).display_name


def line_of(world: World, who: str) -> str:
    """What the message shows for ``who`` (their lines, joined), lower-cased."""
    prefix = f"**{name_of(world, who)}**: "
    lines = captions_text(world).splitlines()
    return " ".join(row[len(prefix) :] for row in lines if row.startswith(prefix)).lower()


async def say(world: World, lines: dict[str, str]) -> None:
    def voiced(text: str) -> np.ndarray:
        return np.concatenate([np.zeros(9600, np.float32), speech(text), np.zeros(9600, np.float32)])

    await asyncio.gather(
        *(world.server.speak(world.guild_id, world[who], encode_opus(voiced(text))) for who, text in lines.items())
    )


async def stored(world: World, space_id: str) -> list[Any]:
    """The transcript as the store has it, read through its own engine (what /space transcript will read)."""
    engine = create_engine(world.database_url)
    try:
        return await TranscriptService(make_uow_factory(engine)).of_space(space_id)
    finally:
        await engine.dispose()


async def captions_on(world: World, who: str = "hana") -> Any:
    answer = await world.slash(world.stage_id, world[who], "space captions", mode="on")
    assert "Captions are on" in (answer.content or ""), answer.content
    await eventually(lambda: captions_message(world) is not None)
    return answer


def card_fields(world: World) -> list[str]:
    cards = [m for m in world.server.messages(world.stage_id) if m.get("embeds")]
    return [f["name"] for f in cards[0]["embeds"][0].get("fields", [])]


async def test_two_speakers_are_captioned_by_name_and_stored_without_the_opted_out_one(world: World) -> None:
    await start_space(world)
    await room_of(world)
    space = await live_space(world)
    for name in ("cole", "maya"):
        await bring_up(world, name)
    await record(world, "maya", "optout")
    await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)

    refused = await world.slash(world.stage_id, world["lee"], "space captions", mode="on")
    assert "Only the host, a co-host or a speaker" in refused.content, refused.content
    assert captions_message(world) is None and not (await live_space(world)).captions
    await captions_on(world)
    await eventually(lambda: "💬 Captions on" in card_fields(world))

    await say(world, SAID)
    await eventually(
        lambda: all(share_heard(SAID[who], line_of(world, who)) >= 0.6 for who in ("hana", "cole")), timeout=CAPTIONED
    )
    await eventually(lambda: line_of(world, "maya") != "", timeout=CAPTIONED)  # her words show live...
    phrases: list[Any] = []

    async def both_stored() -> bool:
        nonlocal phrases
        phrases = await stored(world, space.id)
        return {p.speaker_id for p in phrases} >= {world["hana"], world["cole"]}

    await eventually(both_stored, timeout=CAPTIONED)
    assert world["maya"] not in {p.speaker_id for p in phrases}  # ...and never enter the stored transcript
    for who in ("hana", "cole"):
        text = " ".join(p.text for p in phrases if p.speaker_id == world[who])
        assert share_heard(SAID[who], text) >= 0.6, text
    assert all(p.language == "en" and p.start < p.end for p in phrases)

    message_id = captions_message(world)["id"]
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: "(off)" in captions_text(world))
    assert captions_message(world)["id"] == message_id


async def test_a_restart_mid_space_keeps_captioning_in_the_same_message(world: World) -> None:
    await start_space(world)
    await room_of(world)
    space = await live_space(world)
    await captions_on(world)
    await say(world, {"hana": SAID["hana"]})
    await eventually(lambda: share_heard(SAID["hana"], line_of(world, "hana")) >= 0.6, timeout=CAPTIONED)
    message_id = captions_message(world)["id"]

    await world.stop_bot()
    await world.start_bot()
    # Back on the Stage, and receiving hana: the new voice connection drops her first packets until it has
    # matched her SSRC (a fresh CI run on a loaded machine heard "the quik brown fox dumps over the razor dog").
    await audio_has_flowed(world, await room_of(world), "hana")
    await say(world, {"hana": LATER})
    # Ended as soon as she stops: `finish` (what the recap waits for) returns once her last phrase is transcribed,
    # stored and shown in the message's final edit.
    await world.slash(world.stage_id, world["hana"], "space end")
    await world.bot.bot.app.captions.finish(space.id)
    assert "(off)" in captions_text(world) and share_heard(LATER, line_of(world, "hana")) >= 0.6
    assert captions_message(world)["id"] == message_id
    texts = " ".join(p.text for p in await stored(world, space.id))
    assert share_heard(SAID["hana"], texts) >= 0.6 and share_heard(LATER, texts) >= 0.6, texts


async def test_captions_are_refused_without_the_audio_and_without_a_model(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await start_space(world)
    await room_of(world)
    stage, _ = await open_second(world)
    refused = await world.slash(stage, world["cole"], "space captions", mode="on")
    assert "Captions can't start" in refused.content and said_why(refused.content), refused.content
    # The packaged model (base) is multilingual: the server may caption in French.
    french = await world.slash(world.chat_id, world.owner, "server-settings", captions_language="fr")
    assert "knows English only" not in french.content and "fr" in french.content, french.content
    assert (await world.bot.bot.app.settings.policy(world.guild_id)).captions_language == "fr"

    # An English-only model (tiny.en) refuses another language, naming the setting that changes it.
    await world.stop_bot()
    await world.start_bot(captions_model_dir=str(tiny_model_dir()))
    german = await world.slash(world.chat_id, world.owner, "server-settings", captions_language="de")
    assert "knows English only" in german.content and "CAPTIONS_MODEL_DIR" in german.content, german.content

    await world.stop_bot()
    await world.start_bot(captions_model_dir=str(tmp_path / "no-model"))
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.captions.model"]
    assert any("CAPTIONS_MODEL_DIR" in line and "model.bin" in line for line in logged), logged
    await room_of(world)
    unavailable = await world.slash(world.stage_id, world["hana"], "space captions", mode="on")
    assert "unavailable on this bot" in unavailable.content, unavailable.content
    assert "CAPTIONS_MODEL_DIR" in unavailable.content and "model.bin" in unavailable.content
    assert not (await live_space(world)).captions
