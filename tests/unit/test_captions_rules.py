"""Live captions' rules: who turns them on and off, the end of the Space, the server's language, and the Stage
chat's message as text."""

from __future__ import annotations

import pytest

from bot.captions.feed import CaptionLine
from bot.captions.render import HEADER, captions_text
from bot.limits import CONTENT
from bot.spaces.embeds import card_embed
from spaces_core.domain import captions
from spaces_core.domain import events as ev
from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, SpaceNotLive
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy
from spaces_core.services.settings import SettingsService
from tests.unit.builders import ADMIN, COHOST, HOST, MOD, NOW, live_space, member
from tests.unit.services_support import GUILD, App


def with_speaker(user_id: int = 10):  # type: ignore[no-untyped-def]
    space = live_space(cohost=True)
    space.request_to_speak(user_id)
    space.approve_request(HOST, user_id)
    return space


@pytest.mark.parametrize("actor", [HOST, COHOST, member(10)])
def test_the_host_a_cohost_and_a_speaker_turn_captions_on_and_off(actor: Actor) -> None:
    space = with_speaker()
    assert captions.set_captions(space, actor, True) == [ev.CaptionsStarted("s1", actor.user_id)]
    assert space.captions
    assert captions.set_captions(space, actor, False) == [ev.CaptionsStopped("s1", actor.user_id)]
    assert not space.captions


@pytest.mark.parametrize("actor", [member(11), MOD, ADMIN])
def test_a_listener_is_refused_in_plain_words(actor: Actor) -> None:
    space = with_speaker()
    with pytest.raises(NotAllowed, match="Only the host, a co-host or a speaker can turn captions on or off"):
        captions.set_captions(space, actor, True)
    assert not space.captions


def test_on_twice_or_off_when_off_is_a_conflict() -> None:
    space = live_space()
    with pytest.raises(Conflict, match="already off"):
        captions.set_captions(space, HOST, False)
    captions.set_captions(space, HOST, True)
    with pytest.raises(Conflict, match="already on"):
        captions.set_captions(space, HOST, True)


def test_captions_end_with_the_space() -> None:
    space = live_space()
    captions.set_captions(space, HOST, True)
    events = space.end(HOST, NOW)
    assert ev.CaptionsStopped("s1", None) in events and isinstance(events[-1], ev.SpaceEnded)
    assert not space.captions
    with pytest.raises(SpaceNotLive):
        captions.set_captions(space, HOST, True)


def test_a_space_ended_without_captions_says_nothing_of_them() -> None:
    assert not [e for e in live_space().end(HOST, NOW) if isinstance(e, ev.CaptionsStopped)]


def test_languages_are_whisper_codes_and_an_english_only_model_refuses_others_naming_its_setting() -> None:
    assert captions.check_language(" FR ") == "fr"
    with pytest.raises(InvalidInput, match="not a language captions know"):
        captions.check_language("klingon")
    model = "tiny.en (set CAPTIONS_MODEL_DIR to a multilingual whisper model)"
    assert captions.check_language("en", english_only_model=model) == "en"
    with pytest.raises(InvalidInput, match="CAPTIONS_MODEL_DIR"):
        captions.check_language("es", english_only_model=model)


async def test_the_server_setting_is_kept_and_refused_ones_change_nothing() -> None:
    app = App()
    assert (await app.settings.policy(GUILD)).captions_language == "en"
    assert (await app.settings.update_policy(GUILD, ADMIN, captions_language="es")).captions_language == "es"
    english_only = SettingsService(app.db.uow, english_only_captions="tiny.en (CAPTIONS_MODEL_DIR)")
    with pytest.raises(InvalidInput, match="knows English only"):
        await english_only.update_policy(GUILD, ADMIN, captions_language="de", speaker_limit=3)
    assert await app.settings.policy(GUILD) == GuildPolicy(guild_id=GUILD, captions_language="es")


def line(name: str, text: str) -> CaptionLine:
    return CaptionLine(1, name, 0.0, 1.0, text)


def test_the_message_escapes_member_text_and_shows_the_latest_lines() -> None:
    lines = [line("Hana", f"phrase {n}") for n in range(10)] + [line("**Cole**", "*wow* @everyone `code`")]
    text = captions_text("abcdef123456", "Friday AMA", lines)
    assert text.startswith(HEADER) and "Space abcdef12" in text
    assert "phrase 4" not in text and "phrase 9" in text  # the last six lines
    assert "**\\*\\*Cole\\*\\***: \\*wow\\* @\u200beveryone \\`code\\`" in text


def test_the_message_never_exceeds_discords_limit() -> None:
    lines = [line("N" * 200, "word " * 400) for _ in range(8)]
    text = captions_text("s1", "T" * 300, lines, delayed=True)
    assert len(text) <= CONTENT and "captions delayed" in text
    assert "Nothing was said" in captions_text("s1", "T", [], on=False)


def test_the_card_says_captions_are_on_and_when_they_are_delayed() -> None:
    space = live_space()
    assert "💬 Captions on" not in [f.name for f in card_embed(space).fields]
    captions.set_captions(space, HOST, True)
    [on] = [f for f in card_embed(space).fields if f.name == "💬 Captions on"]
    [late] = [f for f in card_embed(space, captions_delayed=True).fields if f.name == "💬 Captions on"]
    assert "delayed" not in (on.value or "") and "captions delayed" in (late.value or "")
