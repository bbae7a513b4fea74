"""Typed errors of the Spaces product.

Every error carries the sentence a member reads, so adapters never have to invent wording and the wording is tested
with the rule that produces it. What the sentence points at (a member, a channel, a role, a time) is kept apart as
structured refs (`spaces_core.domain.refs`) in `{name}` slots of its `template`: the core never writes Discord
markup. `render(show)` fills the slots the way an adapter shows refs (the bot: `bot.replies.said`, mentions and
Discord timestamps); `message` and `str(error)` fill them with the neutral text of each ref, for logs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from spaces_core.domain.refs import Ref, fill

__all__ = [
    "AlreadyLive",
    "ConcurrentUpdate",
    "Conflict",
    "InvalidInput",
    "NotAllowed",
    "NotEligible",
    "NotFound",
    "PaymentUnavailable",
    "SpaceFull",
    "SpaceNotLive",
    "SpacesError",
]


class SpacesError(Exception):
    """Root of every error the core raises on purpose; `str(error) == error.message`, the neutral rendering."""

    def __init__(self, template: str, **refs: Ref) -> None:
        super().__init__(template)
        self.template = template
        self.refs: Mapping[str, Ref] = refs

    def render(self, show: Callable[[Ref], str]) -> str:
        return fill(self.template, self.refs, show)

    @property
    def message(self) -> str:
        """The sentence with each ref in neutral words ("member 42"): for logs, not for a Discord reply."""
        return fill(self.template, self.refs)

    def __str__(self) -> str:
        return self.message


class NotAllowed(SpacesError):
    """The member's role does not permit the action (or they were removed)."""


class InvalidInput(SpacesError):
    """Something the member typed breaks a rule (too long, wrong format...)."""


class NotFound(SpacesError):
    """The Space, request, invitation or link the member refers to does not exist."""


class SpaceNotLive(SpacesError):
    """The Space has ended (or never started)."""


class SpaceFull(SpacesError):
    """The stage (or the co-host list) has no free place."""


class NotEligible(SpacesError):
    """The member does not meet the server's hosting rule."""


class AlreadyLive(SpacesError):
    """The member already hosts a live Space."""


class Conflict(SpacesError):
    """The action clashes with the current state (already done, already taken...)."""


class ConcurrentUpdate(Conflict):
    """Two writers saved the same aggregate (a Space, a scheduled Space) at once; the use case is run again
    (`spaces_core.services.concurrency.retrying`, docs/CONCURRENCY.md), so members rarely see it.

    A subclass of Conflict (as the spec asks of the store) so callers that only know Conflict still work, but
    distinct so a retry never repeats a rule violation such as "You already asked to speak.".
    """


class PaymentUnavailable(SpacesError):
    """The payment provider could not be reached or refused our request; nothing was charged or changed."""
