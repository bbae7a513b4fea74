"""Server policy (admins), member preferences, and deleting a member's data on request."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from spaces_core.domain.captions import check_language
from spaces_core.domain.errors import InvalidInput, NotAllowed
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import MAX_GRACE_SECONDS, MAX_SPEAKER_LIMIT, GuildPolicy, HostingRule, MemberPrefs
from spaces_core.domain.schedule import DEFAULT_HORIZON, check_offsets
from spaces_core.domain.tickets import check_currency, check_fee_bps
from spaces_core.domain.when import parse_offsets, time_zone
from spaces_core.ports import UnitOfWorkFactory

__all__ = ["SettingsService"]

_OPTIONAL_IDS = ("feed_channel_id", "stage_category_id", "moderator_role_id", "live_board_message_id")


def _bounded(name: str, value: object, low: int, high: int, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{label} must be a whole number from {low} to {high}.")
    return value


def _offsets(value: object, horizon: timedelta) -> tuple[int, ...] | None:
    """Typed text (`24h, 15m, 0`; `default` goes back to the bot's), or seconds; None is the bot's default."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "default"):
        return None
    if isinstance(value, str):
        return check_offsets(parse_offsets(value), horizon)
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return check_offsets(tuple(value), horizon)
    raise InvalidInput("reminder_offsets must be seconds before the start, such as `24h, 15m, 0`.")


def _apply(
    policy: GuildPolicy, changes: dict[str, object], horizon: timedelta, english_only_model: str | None = None
) -> GuildPolicy:
    """Validate every change before applying any, so a bad value never half-updates a policy."""
    fields: dict[str, object] = {}
    rule = policy.hosting_rule
    for name, value in changes.items():
        if name == "speaker_limit":
            fields[name] = _bounded(name, value, 1, MAX_SPEAKER_LIMIT, "The speaker limit")
        elif name == "grace_seconds":
            fields[name] = _bounded(name, value, 1, MAX_GRACE_SECONDS, "The host's grace period (seconds)")
        elif name in _OPTIONAL_IDS:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidInput(f"{name} must be a Discord id.")
            fields[name] = value
        elif name == "reminder_offsets":
            fields[name] = _offsets(value, horizon)
        elif name == "ticket_currency":
            fields[name] = check_currency(str(value))
        elif name == "ticket_fee_bps":
            fields[name] = check_fee_bps(value)
        elif name == "captions_language":
            fields[name] = check_language(value, english_only_model=english_only_model)
        elif name == "min_followers":
            rule = dataclasses.replace(rule, min_followers=_bounded(name, value, 0, 10**9, "The follower minimum"))
        elif name == "required_role_ids":
            if not isinstance(value, (set, frozenset, list, tuple)) or not all(isinstance(v, int) for v in value):
                raise InvalidInput("required_role_ids must be a set of role ids.")
            rule = dataclasses.replace(rule, required_role_ids=frozenset(value))
        elif name == "hosting_rule" and isinstance(value, HostingRule):
            rule = value
        else:
            raise InvalidInput(f"There is no setting called {name}.")
    return dataclasses.replace(policy, hosting_rule=rule, **fields)  # type: ignore[arg-type]


class SettingsService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        horizon: timedelta = DEFAULT_HORIZON,
        english_only_captions: str | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._horizon = horizon  # how far ahead Spaces may be scheduled: no reminder may be earlier
        # The captions model, named with the setting that changes it, when it knows English only: other languages
        # are refused when set rather than captioned as gibberish.
        self._english_only_captions = english_only_captions

    async def policy(self, guild_id: int) -> GuildPolicy:
        async with self._uow_factory() as uow:
            return await uow.policies.get(guild_id)

    async def update_policy(self, guild_id: int, actor: Actor, **changes: object) -> GuildPolicy:
        """Keys: the GuildPolicy fields, plus `min_followers` and `required_role_ids` for the hosting rule.
        `reminder_offsets` may be the text an admin typed (`24h, 15m, 0`, or `default`)."""
        if not actor.is_admin:
            raise NotAllowed("Only server admins (Manage Server) can change the Spaces settings.")
        async with self._uow_factory() as uow:
            policy = _apply(await uow.policies.get(guild_id), changes, self._horizon, self._english_only_captions)
            await uow.policies.save(policy)
            await uow.commit()
        return policy

    async def record_live_board(self, guild_id: int, message_id: int) -> None:
        async with self._uow_factory() as uow:
            policy = await uow.policies.get(guild_id)
            await uow.policies.save(dataclasses.replace(policy, live_board_message_id=message_id))
            await uow.commit()

    async def prefs(self, user_id: int) -> MemberPrefs:
        async with self._uow_factory() as uow:
            return await uow.prefs.get(user_id)

    async def set_live_dms(self, user_id: int, on: bool) -> MemberPrefs:
        async with self._uow_factory() as uow:
            prefs = dataclasses.replace(await uow.prefs.get(user_id), live_dms=on)
            await uow.prefs.save(prefs)
            await uow.commit()
        return prefs

    async def set_timezone(self, user_id: int, name: str) -> MemberPrefs:
        time_zone(name)  # raises InvalidInput naming the zone, before anything is stored
        async with self._uow_factory() as uow:
            prefs = dataclasses.replace(await uow.prefs.get(user_id), timezone=name.strip())
            await uow.prefs.save(prefs)
            await uow.commit()
        return prefs

    async def delete_member_data(self, user_id: int) -> None:
        """/privacy delete: follows both ways, preferences (time zone included), reminders asked for, the
        member's own block list, their phrases in every stored transcript, their talk time and hand waits in hosts'
        stats. Blocks *of* the member stay:
        they protect other people, and deleting them would let a deletion undo a ban."""
        async with self._uow_factory() as uow:
            await uow.follows.delete_member(user_id)
            await uow.prefs.delete(user_id)
            await uow.blocks.delete_by_host(user_id)
            await uow.schedules.forget_member(user_id)
            await uow.transcripts.delete_member(user_id)  # what they said, in every stored transcript
            await uow.stats.delete_member(user_id)  # their talk time and hand waits in hosts' stats
            await uow.commit()
