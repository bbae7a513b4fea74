"""The limits Discord puts on guild scheduled events: a start in the future, name 1–100, description up to 1,000.

https://discord.com/developers/docs/resources/guild-scheduled-event — Discord refuses to schedule (or move a
still-scheduled event) to a start time already past, with a field error on ``scheduled_start_time``.
"""

from __future__ import annotations

import datetime
from typing import Any

from sandbox.limits.form import Form

__all__ = ["require_valid_event"]

JSON = dict[str, Any]

NAME, DESCRIPTION = 100, 1000


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def require_valid_event(body: JSON, start: datetime.datetime | None, *, creating: bool) -> None:
    """Refuse a create or edit as Discord would; ``start`` is the parsed ``scheduled_start_time`` if sent and
    the event is (still) scheduled, None otherwise."""
    form = Form()
    if (creating or "name" in body) and form.at("name").required(body.get("name")):
        form.at("name").length_between(str(body["name"]), 1, NAME)
    form.at("description").text(body.get("description"), DESCRIPTION)
    if start is not None and _aware(start) <= datetime.datetime.now(datetime.UTC):
        form.at("scheduled_start_time").error(
            "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past."
        )
    form.raise_if_any()
