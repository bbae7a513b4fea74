"""The statements of the webhook path (`SqlTicketRepository`'s reads and moves of one order), built once.

A payment event costs a handful of statements, and building a SQLAlchemy statement costs about as much CPU as
sending it, so these are module constants with bind parameters (or built once per shape and cached) rather than
built per call. Bind parameter names never equal a column name: SQLAlchemy would read such a key as a SET.

On PostgreSQL the effects that always go with a move ride in the move's own statement (a data-modifying WITH):
the ticket inserted with the payment, the seat given back with the expiry or refund. One round trip fewer each,
and the same guarantees: one statement is as atomic as two in the same transaction, the conditional UPDATE
still decides, and the ticket's key still refuses a second one. SQLite has no data-modifying WITH; the
repository sends the two statements there.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import DateTime, Table, bindparam, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from spaces_core.domain.tickets import OrderState, sources
from spaces_core.store.tables import (
    PaymentEventRow,
    ScheduledSpaceRow,
    TicketOfferRow,
    TicketOrderRow,
    TicketRow,
    WaitlistRow,
)

__all__ = [
    "HAS_WAITING",
    "LOCK_OFFER",
    "ORDER_AND_SCHEDULE",
    "ORDER_AND_SCHEDULE_BY_INTENT",
    "ORDER_BY_ID",
    "ORDER_COLUMNS",
    "RELEASE_SEAT",
    "REVOKE",
    "SCHEDULE_NAMES",
    "insert_statement",
    "move_statement",
    "pay_statement",
]

offers = cast(Table, TicketOfferRow.__table__)  # type: ignore[attr-defined]
orders = cast(Table, TicketOrderRow.__table__)  # type: ignore[attr-defined]
tickets = cast(Table, TicketRow.__table__)  # type: ignore[attr-defined]
waitlist = cast(Table, WaitlistRow.__table__)  # type: ignore[attr-defined]
events = cast(Table, PaymentEventRow.__table__)  # type: ignore[attr-defined]
schedules = cast(Table, ScheduledSpaceRow.__table__)  # type: ignore[attr-defined]

ORDER_COLUMNS = tuple(orders.columns)
SCHEDULE_NAMES = tuple(c.name for c in schedules.columns)

ORDER_BY_ID = select(*ORDER_COLUMNS).where(orders.c.id == bindparam("p_order"))
# The order and its Space in one statement: every payment event needs both (the Space's state decides whether a
# payment becomes a ticket, and the member's DM names it). The Space's columns follow the order's.
ORDER_AND_SCHEDULE = (
    select(*ORDER_COLUMNS, *(c.label(f"schedule_{c.name}") for c in schedules.columns))
    .join_from(orders, schedules, orders.c.schedule_id == schedules.c.id)
    .where(orders.c.id == bindparam("p_order"))
)
# A refund made on Stripe's dashboard names only the payment: the order is found by its PaymentIntent.
ORDER_AND_SCHEDULE_BY_INTENT = (
    select(*ORDER_COLUMNS, *(c.label(f"schedule_{c.name}") for c in schedules.columns))
    .join_from(orders, schedules, orders.c.schedule_id == schedules.c.id)
    .where(orders.c.payment_intent == bindparam("p_intent"))
    .order_by(orders.c.created_at)
    .limit(1)
)
# FOR UPDATE on PostgreSQL; SQLAlchemy leaves it out on SQLite, whose single writer needs no row lock.
LOCK_OFFER = select(offers.c.schedule_id).where(offers.c.schedule_id == bindparam("p_schedule")).with_for_update()
RELEASE_SEAT = (
    update(offers)
    .where(offers.c.schedule_id == bindparam("p_schedule"), offers.c.seats_taken > 0)
    .values(seats_taken=offers.c.seats_taken - 1)
)
REVOKE = delete(tickets).where(tickets.c.order_id == bindparam("p_order"))
HAS_WAITING = select(exists().where(waitlist.c.schedule_id == bindparam("p_schedule")))


def _conditional_move(to: OrderState, names: tuple[str, ...], seat: bool | None) -> Any:
    """UPDATE the order to `to` if it is in one of `sources(to)` (and holds a seat or not, when `seat` says),
    setting the columns `names` from parameters ``p_<name>``; a seat-holder's seat flag is cleared with it."""
    statement = update(orders).where(
        orders.c.id == bindparam("p_order"), orders.c.state.in_([s.value for s in sources(to)])
    )
    values: dict[str, Any] = {"state": to.value, **{name: bindparam(f"p_{name}") for name in names}}
    if seat is not None:
        statement = statement.where(orders.c.seat.is_(seat))
        if seat:
            values["seat"] = False
    return statement.values(values).returning(*ORDER_COLUMNS)


@functools.cache
def move_statement(dialect: str, to: OrderState, names: tuple[str, ...], seat: bool | None) -> Any:
    """The conditional move, returning the moved order's columns (no row: nothing changed). With `seat` True on
    PostgreSQL the offer's count goes down in the same statement (parameter ``p_schedule``, the order's Space);
    the caller has locked the offer row first, as a buyer does."""
    move = _conditional_move(to, names, seat)
    if not (seat and dialect == "postgresql"):
        return move
    moved = move.cte("moved")
    released = RELEASE_SEAT.where(exists(select(moved.c.id))).cte("released")
    return select(*moved.c).add_cte(released)


@functools.cache
def pay_statement(names: tuple[str, ...]) -> Any:
    """PostgreSQL: pending/processing → paid and the member's ticket inserted (``p_granted_at``), in one
    statement; the paid order's columns and then whether the ticket went in (False: the member already holds
    one, and the key refused a second)."""
    moved = _conditional_move(OrderState.PAID, names, None).cte("moved")
    granted_at = bindparam("p_granted_at", type_=DateTime(timezone=True))
    ticket = select(moved.c.schedule_id, moved.c.user_id, moved.c.id, granted_at)
    columns = ["schedule_id", "user_id", "order_id", "granted_at"]
    inserted = postgresql.insert(tickets).from_select(columns, ticket).on_conflict_do_nothing()
    granted = inserted.returning(tickets.c.order_id).cte("granted")
    return select(*moved.c, exists(select(granted.c.order_id)).label("granted"))


@functools.cache
def insert_statement(dialect: str, table: Table, returned: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING `returned`, every column from a parameter ``p_<column>``."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values: dict[str, Any] = {column.name: bindparam(f"p_{column.name}") for column in table.columns}
    return insert(table).values(values).on_conflict_do_nothing().returning(table.c[returned])
