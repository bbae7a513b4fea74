"""Features that need configuration (web, tickets) reach the rest of the bot as objects that are on or off, so
nothing outside `bot.bootstrap` asks whether they are None. This reads `AppContext`'s fields (no bot is built)."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from bot.context import AppContext
from bot.tickets.feature import TicketsOff
from bot.tickets.render import ENABLE_TICKETS
from bot.web import NoWeb
from spaces_core.domain.errors import InvalidInput


def test_no_field_of_the_context_is_optional() -> None:
    # The module postpones its annotations, so each field's type is the text written in `bot/context.py`.
    optional = [f.name for f in dataclasses.fields(AppContext) if "None" in str(f.type) or "Optional" in str(f.type)]
    assert optional == []
    assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(AppContext))


@pytest.mark.parametrize("ask", [TicketsOff().service, TicketsOff().payouts])
def test_tickets_off_answers_how_to_enable_them(ask: typing.Callable[[], object]) -> None:
    with pytest.raises(InvalidInput) as refused:
        ask()
    assert ENABLE_TICKETS in str(refused.value)


async def test_no_web_hands_out_no_link() -> None:
    web = NoWeb()
    await web.start()
    assert web.personal_url("s", 1) is None
    await web.stop()
