"""Live captions: who may turn them on and off, and which languages the server may caption in.

Functions of the Space aggregate (its `captions` field lives on `Space`), like `spaces_core.domain.recording`.
Captions are for everyone on the Stage to follow along, so the people talking may turn them on: the host, the
co-hosts and the speakers; a listener asks nothing to see them and may not switch them for the room.
"""

from __future__ import annotations

from typing import Final

from spaces_core.domain import events as ev
from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "ONLY_THE_STAGE", "check_language", "may_switch_captions", "set_captions"]

DEFAULT_LANGUAGE: Final = "en"
ONLY_THE_STAGE: Final = "Only the host, a co-host or a speaker can turn captions on or off."
# Whisper's language codes (faster_whisper.tokenizer._LANGUAGE_CODES), kept here so the domain imports nothing.
_CODES: Final = (
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr ht hu hy "
    "id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc pa pl ps pt ro ru "
    "sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo zh yue"
)
LANGUAGES: Final = frozenset(_CODES.split())


def may_switch_captions(space: Space, user_id: int) -> bool:
    return user_id == space.host_id or user_id in space.cohosts or user_id in space.speakers


def set_captions(space: Space, actor: Actor, on: bool) -> list[ev.DomainEvent]:
    space._ensure_live()
    if not may_switch_captions(space, actor.user_id):
        raise NotAllowed(ONLY_THE_STAGE)
    if space.captions == on:
        raise Conflict("Captions are already on in this Space." if on else "Captions are already off in this Space.")
    space.captions = on
    return [ev.CaptionsStarted(space.id, actor.user_id) if on else ev.CaptionsStopped(space.id, actor.user_id)]


def check_language(code: object, *, english_only_model: str | None = None) -> str:
    """A whisper language code, lower-cased; `english_only_model` names the bot's model when it knows English only
    (say which setting changes it), so any other language is refused rather than captioned as gibberish."""
    text = str(code).strip().lower()
    if text not in LANGUAGES:
        raise InvalidInput(
            f"`{str(code)[:20]}` is not a language captions know: use a two-letter code such as en, es, fr or de."
        )
    if english_only_model is not None and text != "en":
        raise InvalidInput(
            f"Captions can't use `{text}` on this bot: its model, {english_only_model}, knows English only."
        )
    return text
