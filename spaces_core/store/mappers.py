"""Rows ⇄ domain objects. Sets are stored as sorted lists so that equal Spaces produce equal rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from spaces_core.domain.rules import GuildPolicy, HostingRule, MemberPrefs
from spaces_core.domain.space import Space, SpaceState
from spaces_core.store.tables import GuildPolicyRow, MemberPrefsRow, SpaceRow

__all__ = ["policy_from_row", "policy_values", "prefs_from_row", "space_from_row", "space_values"]


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we write is UTC, so say so again on the way out."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def space_values(space: Space) -> dict[str, Any]:
    """Column values of a Space (everything but the version, which the repository manages)."""
    return {
        "id": space.id,
        "guild_id": space.guild_id,
        "channel_id": space.channel_id,
        "host_id": space.host_id,
        "original_host_id": space.original_host_id,
        "title": space.title,
        "state": space.state.value,
        "speaker_limit": space.speaker_limit,
        "peak_listeners": space.peak_listeners,
        "topics": list(space.topics),
        "cohosts": list(space.cohosts),
        "speakers": list(space.speakers),
        "present": sorted(space.present),
        "queue": list(space.queue),
        "invites": sorted(space.invites),
        "removed": sorted(space.removed),
        "muted": sorted(space.muted),
        "links": list(space.links),
        "reactions": dict(space.reactions),
        "spoke": list(space.spoke),
        "created_at": space.created_at,
        "started_at": space.started_at,
        "ended_at": space.ended_at,
        "host_absent_since": space.host_absent_since,
        "recording": space.recording,
        "recording_opt_outs": sorted(space.recording_opt_outs),
        "recorded": space.recorded,
        "replay_deleted": space.replay_deleted,
        "captions": space.captions,
        "broadcast": space.broadcast,
    }


def space_from_row(row: SpaceRow) -> Space:
    created_at = _aware(row.created_at)
    assert created_at is not None  # NOT NULL column
    return Space(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        host_id=row.host_id,
        original_host_id=row.original_host_id,
        title=row.title,
        topics=tuple(row.topics),
        state=SpaceState(row.state),
        created_at=created_at,
        speaker_limit=row.speaker_limit,
        cohosts=[int(u) for u in row.cohosts],
        speakers=[int(u) for u in row.speakers],
        present={int(u) for u in row.present},
        queue=[int(u) for u in row.queue],
        invites={int(u) for u in row.invites},
        removed={int(u) for u in row.removed},
        muted={int(u) for u in row.muted},
        links=list(row.links),
        reactions={str(k): int(v) for k, v in row.reactions.items()},
        spoke=[int(u) for u in row.spoke],
        peak_listeners=row.peak_listeners,
        started_at=_aware(row.started_at),
        ended_at=_aware(row.ended_at),
        host_absent_since=_aware(row.host_absent_since),
        recording=row.recording,
        recording_opt_outs={int(u) for u in row.recording_opt_outs},
        recorded=row.recorded,
        replay_deleted=row.replay_deleted,
        captions=row.captions,
        broadcast=row.broadcast,
        version=row.version,
    )


def policy_values(policy: GuildPolicy) -> dict[str, Any]:
    return {
        "guild_id": policy.guild_id,
        "speaker_limit": policy.speaker_limit,
        "grace_seconds": policy.grace_seconds,
        "feed_channel_id": policy.feed_channel_id,
        "stage_category_id": policy.stage_category_id,
        "moderator_role_id": policy.moderator_role_id,
        "live_board_message_id": policy.live_board_message_id,
        "min_followers": policy.hosting_rule.min_followers,
        "required_role_ids": sorted(policy.hosting_rule.required_role_ids),
        "reminder_offsets": None if policy.reminder_offsets is None else list(policy.reminder_offsets),
        "ticket_currency": policy.ticket_currency,
        "ticket_fee_bps": policy.ticket_fee_bps,
        "captions_language": policy.captions_language,
    }


def policy_from_row(row: GuildPolicyRow) -> GuildPolicy:
    return GuildPolicy(
        guild_id=row.guild_id,
        speaker_limit=row.speaker_limit,
        grace_seconds=row.grace_seconds,
        feed_channel_id=row.feed_channel_id,
        stage_category_id=row.stage_category_id,
        moderator_role_id=row.moderator_role_id,
        live_board_message_id=row.live_board_message_id,
        hosting_rule=HostingRule(
            min_followers=row.min_followers, required_role_ids=frozenset(int(r) for r in row.required_role_ids)
        ),
        reminder_offsets=None if row.reminder_offsets is None else tuple(int(o) for o in row.reminder_offsets),
        ticket_currency=row.ticket_currency,
        ticket_fee_bps=row.ticket_fee_bps,
        captions_language=row.captions_language,
    )


def prefs_from_row(row: MemberPrefsRow) -> MemberPrefs:
    return MemberPrefs(user_id=row.user_id, live_dms=row.live_dms, timezone=row.timezone)
