"""Ticketed Spaces as one object for the rest of the bot: on (both Stripe settings) or off, never None.

`bot.bootstrap` builds one of the two and puts it on the `AppContext`; commands, buttons, the card, `/help` and
the web server ask it, and none of them checks whether tickets are configured. Off, the services refuse with how
to enable tickets, which is what every ticket command and button then answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.tickets.desk import TicketDesk
from bot.tickets.render import ENABLE_TICKETS
from spaces_core.domain.errors import InvalidInput
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space
from spaces_core.domain.tickets import TicketOffer
from spaces_core.services.payouts import PayoutService
from spaces_core.services.tickets import TicketService

__all__ = ["TicketsOff", "TicketsOn"]


@dataclass(slots=True)
class TicketsOn:
    """The ticket and payout services and the desk (reconciliation, gating, card redraws), as bootstrap built them."""

    tickets: TicketService
    payout_service: PayoutService
    desk: TicketDesk

    @property
    def enabled(self) -> bool:
        return True

    def service(self) -> TicketService:
        return self.tickets

    def payouts(self) -> PayoutService:
        return self.payout_service

    async def offer(self, schedule_id: str) -> TicketOffer | None:
        return await self.tickets.offer(schedule_id)

    def gated_in(self, guild_id: int) -> list[ScheduledSpace]:
        return self.desk.gate.gated_in(guild_id)

    async def ticketed(self, space: Space) -> bool:
        return await self.desk.ticketed(space)

    async def may_attend(self, space: Space, user_id: int) -> bool:
        return await self.desk.may_attend(space, user_id)

    def start(self) -> None:
        self.desk.start()  # reconciles once ready (a payment made while we were down), then often

    async def stop(self) -> None:
        await self.desk.stop()


class TicketsOff:
    """No Stripe settings: no Space is ticketed, anyone may attend, and asking to sell says how to enable it."""

    __slots__ = ()

    @property
    def enabled(self) -> bool:
        return False

    def service(self) -> TicketService:
        raise InvalidInput(ENABLE_TICKETS)

    def payouts(self) -> PayoutService:
        raise InvalidInput(ENABLE_TICKETS)

    async def offer(self, schedule_id: str) -> TicketOffer | None:
        return None

    def gated_in(self, guild_id: int) -> list[ScheduledSpace]:
        return []

    async def ticketed(self, space: Space) -> bool:
        return False

    async def may_attend(self, space: Space, user_id: int) -> bool:
        return True

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass
