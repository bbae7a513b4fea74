"""A server's Spaces rules in members' terms: #channels, @roles and "not set", never raw ids.

Used by `/server-settings` (what an admin just saved) and `/help` (the rules a member plays by). Mentions
render as links in Discord; replies carrying them are sent with mentions disabled, so a role is never pinged.
"""

from __future__ import annotations

from spaces_core.domain.rules import GuildPolicy, HostingRule

__all__ = ["duration", "hosting_rule_text", "policy_lines"]

NOT_SET = "not set"


def _channel(channel_id: int | None) -> str:
    return f"<#{channel_id}>" if channel_id else NOT_SET


def _role(role_id: int | None) -> str:
    return f"<@&{role_id}>" if role_id else NOT_SET


def duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s" if seconds else "0"


def hosting_rule_text(rule: HostingRule) -> str:
    """Who may host: anyone, or the roles and follower count the server asks for (admins always may)."""
    needs = []
    if rule.required_role_ids:
        needs.append("one of the roles " + ", ".join(_role(r) for r in sorted(rule.required_role_ids)))
    if rule.min_followers:
        needs.append(f"at least {rule.min_followers} followers")
    return " and ".join(needs) if needs else "anyone"


def policy_lines(policy: GuildPolicy, *, tickets: bool = True) -> list[str]:
    """One line per rule; `tickets=False` leaves out the ticket terms where tickets are off on this bot."""
    offsets = policy.reminder_offsets
    reminders = ", ".join(duration(o) for o in offsets) if offsets else "the bot's default"
    lines = [
        f"Feed channel (Live now board, Space cards): {_channel(policy.feed_channel_id)}",
        f"Stage category (new Stages): {_channel(policy.stage_category_id)}",
        f"Who may host: {hosting_rule_text(policy.hosting_rule)}",
        f"Moderator role: {_role(policy.moderator_role_id)} (and anyone with Mute Members)",
        f"Speaker limit: {policy.speaker_limit} besides the host and co-hosts",
        f"Co-host takes over after the host is away for {policy.grace_seconds} s",
        f"Reminders before scheduled Spaces: {reminders}",
        f"Live captions language: {policy.captions_language}",
    ]
    if tickets:
        fee = policy.ticket_fee_bps / 100
        lines.append(f"Tickets: prices in {policy.ticket_currency.upper()}, server fee {fee:g} % (with host payouts)")
    return lines
