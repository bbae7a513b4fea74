"""Limits, server policy, member preferences and the hosting rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from spaces_core.domain.errors import NotEligible
from spaces_core.domain.refs import RoleRef
from spaces_core.domain.roles import Actor

__all__ = [
    "ALLOWED_REACTIONS",
    "DEFAULT_GRACE_SECONDS",
    "DEFAULT_SPEAKER_LIMIT",
    "MAX_COHOSTS",
    "MAX_GRACE_SECONDS",
    "MAX_LINKS",
    "MAX_SPEAKER_LIMIT",
    "MAX_TITLE",
    "MAX_TOPIC",
    "MAX_TOPICS",
    "MAX_URL",
    "GuildPolicy",
    "HostingRule",
    "MemberPrefs",
    "check_host_eligibility",
]

MAX_TITLE = 70
MAX_TOPICS = 3
MAX_TOPIC = 30
MAX_LINKS = 5
MAX_URL = 512  # long enough for real links, short enough that a card embed never overflows
MAX_COHOSTS = 2
DEFAULT_SPEAKER_LIMIT = 10
# Discord itself allows a few dozen speakers on a Stage; beyond this a Space is a panel nobody can follow.
MAX_SPEAKER_LIMIT = 50
DEFAULT_GRACE_SECONDS = 60
MAX_GRACE_SECONDS = 600
ALLOWED_REACTIONS: tuple[str, ...] = ("👏", "😂", "❤️", "🔥", "💯")


@dataclass(frozen=True, slots=True)
class HostingRule:
    """Who may host in a server. Holding any one of `required_role_ids` is enough."""

    min_followers: int = 0
    required_role_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class GuildPolicy:
    guild_id: int
    speaker_limit: int = DEFAULT_SPEAKER_LIMIT
    grace_seconds: int = DEFAULT_GRACE_SECONDS
    feed_channel_id: int | None = None
    stage_category_id: int | None = None
    moderator_role_id: int | None = None
    hosting_rule: HostingRule = field(default_factory=HostingRule)
    live_board_message_id: int | None = None
    # Seconds before a scheduled Space's start when its audience is reminded; None: the bot's REMINDER_OFFSETS.
    reminder_offsets: tuple[int, ...] | None = None
    # Ticket terms of the server: the currency prices are in, and its share of each ticket (basis points) when
    # the host is paid through Stripe Connect. Names checked in spaces_core.domain.tickets.
    ticket_currency: str = "usd"
    ticket_fee_bps: int = 0
    # The language live captions are transcribed in (a whisper code, spaces_core.domain.captions), never guessed.
    captions_language: str = "en"


@dataclass(frozen=True, slots=True)
class MemberPrefs:
    # Following a host is the opt-in to "X is live" DMs; /settings turns them off for every host at once.
    user_id: int
    live_dms: bool = True
    timezone: str | None = None  # an IANA name; None reads typed times as UTC


def check_host_eligibility(rule: HostingRule, *, follower_count: int, actor: Actor) -> None:
    """Raise NotEligible naming everything the member lacks; server admins may always host."""
    if actor.is_admin:
        return
    missing: list[str] = []
    refs: dict[str, RoleRef] = {}  # one slot per role, so the bot can show each as a role mention
    if rule.required_role_ids and not (rule.required_role_ids & actor.role_ids):
        refs = {f"role_{n}": RoleRef(role_id) for n, role_id in enumerate(sorted(rule.required_role_ids), start=1)}
        roles = ", ".join("{" + slot + "}" for slot in refs)
        if len(rule.required_role_ids) == 1:
            missing.append(f"Hosting here needs the {roles} role.")
        else:
            missing.append(f"Hosting here needs one of these roles: {roles}.")
    if follower_count < rule.min_followers:
        need, have = rule.min_followers, follower_count
        missing.append(f"Hosting here needs at least {need} followers on Spaces; you have {have}.")
    if missing:
        raise NotEligible(" ".join(missing), **refs)
