"""Reactions and pinned links on a live Space's card: who may add them, and the limits.

Functions of the Space aggregate (its fields live on `Space`), kept here so the aggregate's module stays about
roles, as `spaces_core.domain.recording` does. They change the Space, return the events and raise the member's
sentence.
"""

from __future__ import annotations

from spaces_core.domain import events as ev
from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, SpaceFull
from spaces_core.domain.roles import Action, Actor, require
from spaces_core.domain.rules import ALLOWED_REACTIONS, MAX_LINKS
from spaces_core.domain.space import Space
from spaces_core.domain.validation import clean_url

__all__ = ["pin_link", "react", "unpin_link"]

Events = list[ev.DomainEvent]


def react(space: Space, user_id: int, emoji: str) -> Events:
    """Any member on the Stage; the card shows the counts."""
    space._ensure_live()
    if emoji not in ALLOWED_REACTIONS:
        raise InvalidInput(f"Pick one of these reactions: {' '.join(ALLOWED_REACTIONS)}.")
    if user_id not in space.present:
        raise NotAllowed("Join the Stage to react.")
    space.reactions[emoji] = space.reactions.get(emoji, 0) + 1
    return [ev.Reacted(space.id, emoji, space.reactions[emoji], user_id)]


def pin_link(space: Space, actor: Actor, url: str) -> Events:
    space._ensure_live()
    require(space, actor, Action.PIN_LINK)
    cleaned = clean_url(url)
    if cleaned in space.links:
        raise Conflict("That link is already pinned.")
    if len(space.links) >= MAX_LINKS:
        raise SpaceFull(f"You can pin at most {MAX_LINKS} links; unpin one first.")
    space.links.append(cleaned)
    return [ev.LinkPinned(space.id, cleaned, actor.user_id)]


def unpin_link(space: Space, actor: Actor, index_or_url: int | str) -> Events:
    """`index_or_url` is a 0-based position in `links` or the link itspace."""
    space._ensure_live()
    require(space, actor, Action.UNPIN_LINK)
    if isinstance(index_or_url, int):
        if not 0 <= index_or_url < len(space.links):
            raise NotFound("There is no pinned link at that position.")
        url = space.links[index_or_url]
    else:
        url = index_or_url.strip()
        if url not in space.links:
            raise NotFound("That link isn't pinned.")
    space.links.remove(url)
    return [ev.LinkUnpinned(space.id, url, actor.user_id)]
