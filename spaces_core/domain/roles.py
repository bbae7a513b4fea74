"""Roles inside a Space, the actor who acts, and the permission table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from types import MappingProxyType
from typing import Protocol

from spaces_core.domain.errors import NotAllowed

__all__ = ["MIN_ROLE", "Action", "Actor", "Role", "require"]


class Role(IntEnum):
    LISTENER = 0
    SPEAKER = 1
    MODERATOR = 2
    COHOST = 3
    HOST = 4


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting. The bot fills the flags from Discord permissions (see the spec)."""

    user_id: int
    is_moderator: bool = False
    is_admin: bool = False
    role_ids: frozenset[int] = field(default_factory=frozenset)


class Action(Enum):
    APPROVE_REQUEST = "approve_request"
    DENY_REQUEST = "deny_request"
    INVITE = "invite"
    MOVE_TO_AUDIENCE = "move_to_audience"
    MUTE = "mute"
    REMOVE = "remove"
    PIN_LINK = "pin_link"
    UNPIN_LINK = "unpin_link"
    ADD_COHOST = "add_cohost"
    REMOVE_COHOST = "remove_cohost"
    BLOCK = "block"
    END = "end"


MIN_ROLE: Mapping[Action, Role] = MappingProxyType(
    {
        Action.APPROVE_REQUEST: Role.MODERATOR,
        Action.DENY_REQUEST: Role.MODERATOR,
        Action.INVITE: Role.MODERATOR,
        Action.MOVE_TO_AUDIENCE: Role.MODERATOR,
        Action.MUTE: Role.MODERATOR,
        Action.REMOVE: Role.MODERATOR,
        Action.PIN_LINK: Role.COHOST,
        Action.UNPIN_LINK: Role.COHOST,
        Action.ADD_COHOST: Role.HOST,
        Action.REMOVE_COHOST: Role.HOST,
        Action.BLOCK: Role.HOST,
        Action.END: Role.HOST,
    }
)

_WHO = {
    Role.MODERATOR: "the host, a co-host or a moderator",
    Role.COHOST: "the host or a co-host",
    Role.HOST: "the host",
}
_WHAT = {
    Action.APPROVE_REQUEST: "approve requests to speak",
    Action.DENY_REQUEST: "decline requests to speak",
    Action.INVITE: "invite members to speak",
    Action.MOVE_TO_AUDIENCE: "move speakers to the audience",
    Action.MUTE: "mute or unmute speakers",
    Action.REMOVE: "remove members from a Space",
    Action.PIN_LINK: "pin links",
    Action.UNPIN_LINK: "unpin links",
    Action.ADD_COHOST: "add co-hosts",
    Action.REMOVE_COHOST: "remove co-hosts",
    Action.BLOCK: "block members",
    Action.END: "end this Space",
}


class HasRoles(Protocol):
    """What `require` needs from a Space; a Protocol so this module does not import space.py (a cycle)."""

    def role_of(self, who: Actor | int, is_moderator: bool = False) -> Role: ...


def require(space: HasRoles, actor: Actor, action: Action, target: int | None = None) -> None:
    """Raise NotAllowed unless `actor` may perform `action` (on `target`, when the action has one).

    Outranking: a moderator can't act on the host or co-hosts and a co-host can't act on the host, because
    moderation that could reach upwards would let anyone with a server role take a Space away from its host.
    """
    mine = space.role_of(actor)
    needed = MIN_ROLE[action]
    if mine < needed:
        raise NotAllowed(f"Only {_WHO[needed]} can {_WHAT[action]}.")
    if target is None or target == actor.user_id:
        return
    theirs = space.role_of(target)
    if theirs >= Role.COHOST and mine <= theirs:
        raise NotAllowed(_outrank_message(mine, theirs))


def _outrank_message(mine: Role, theirs: Role) -> str:
    if mine == Role.COHOST and theirs == Role.COHOST:
        return "Co-hosts can't act on each other; ask the host."
    if mine == Role.COHOST:
        return "Co-hosts can't act on the host."
    if mine == Role.MODERATOR:
        return "Moderators can't act on the host or co-hosts."
    return "Nobody can do that to the host."
