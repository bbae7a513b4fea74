"""The SQL repository of ticketed Spaces: offers and seats, orders, tickets, the waitlist, payment events.

The guarantees live in single statements, so they hold on SQLite and on PostgreSQL under any concurrency:
a seat is taken by `UPDATE ... SET seats_taken = seats_taken + 1 WHERE seats_taken < quantity` (plus a CHECK),
an order changes state by `UPDATE ... WHERE state IN (sources)` and reports whether it did, and the "at most
one" rules (active order, ticket, event id) are unique keys hit by `INSERT ... ON CONFLICT DO NOTHING`, which on
PostgreSQL waits for a concurrent inserter of the same key to commit and then inserts nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from spaces_core.domain.errors import Conflict
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.tickets import (
    RELEASES_SEAT,
    HolderChoice,
    Order,
    OrderState,
    RefundReason,
    TicketOffer,
    WaitlistEntry,
)
from spaces_core.store import ticket_sql as sql
from spaces_core.store.schedules import _from_row as _schedule
from spaces_core.store.tables import (
    PaymentEventRow,
    ScheduledSpaceRow,
    TicketOfferRow,
    TicketOrderRow,
    TicketRow,
    WaitlistRow,
)

__all__ = ["SqlTicketRepository"]

# Core tables, not ORM entities, in the statements: the ORM's bulk-update machinery and row instances cost more
# Python time than the queries themselves on the webhook path (see bench/bench_webhooks.py). That path's own
# statements are built once, in `ticket_sql`.
_offers = cast(Table, TicketOfferRow.__table__)  # type: ignore[attr-defined]
_orders = cast(Table, TicketOrderRow.__table__)  # type: ignore[attr-defined]
_tickets = cast(Table, TicketRow.__table__)  # type: ignore[attr-defined]
_waitlist = cast(Table, WaitlistRow.__table__)  # type: ignore[attr-defined]
_events = cast(Table, PaymentEventRow.__table__)  # type: ignore[attr-defined]
_ORDER_COLUMNS = sql.ORDER_COLUMNS
_ORDER_NAMES = tuple(c.name for c in _ORDER_COLUMNS)
_ENUMS: Mapping[str, type[Any]] = {"state": OrderState, "refund_reason": RefundReason, "choice": HolderChoice}


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _order(row: Mapping[Any, Any]) -> Order:
    return _order_of({str(k): v for k, v in row.items()})


def _order_at(row: Sequence[Any]) -> Order:
    """The order from a row that starts with `_ORDER_COLUMNS` (the prebuilt statements select them first)."""
    return _order_of(dict(zip(_ORDER_NAMES, row[: len(_ORDER_NAMES)], strict=True)))


def _order_of(values: dict[str, Any]) -> Order:
    for name, kind in _ENUMS.items():
        if values[name] is not None:
            values[name] = kind(values[name])
    for name in ("created_at", "expires_at", "paid_at", "refunded_at"):
        values[name] = _aware(values[name])
    return Order(**values)


def _order_values(order: Order) -> dict[str, Any]:
    return {column.name: _column_value(getattr(order, column.name)) for column in _ORDER_COLUMNS}


def _column_value(value: object) -> object:
    return value.value if isinstance(value, (OrderState, RefundReason, HolderChoice)) else value


class SqlTicketRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session
        self._dialect = session.bind.dialect.name if session.bind is not None else "sqlite"

    def _insert(self, table: Table) -> Any:
        """INSERT with ON CONFLICT support, in this database's dialect."""
        return (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(table)

    async def _rowcount(self, statement: Any) -> int:
        result = cast(CursorResult[Any], await self._session.execute(statement))
        return result.rowcount

    # --- offers and seats ------------------------------------------------------------------------------------

    async def offer(self, schedule_id: str) -> TicketOffer | None:
        statement = select(_offers).where(_offers.c.schedule_id == schedule_id)
        row = (await self._session.execute(statement)).mappings().first()
        return TicketOffer(**row) if row is not None else None

    async def add_offer(self, offer: TicketOffer) -> None:
        try:
            await self._session.execute(_offers.insert().values(dataclasses.asdict(offer)))
        except IntegrityError as error:  # two first set_offer calls at once: the other one made it
            raise Conflict("Someone changed this Space's tickets at the same moment; try again.") from error

    async def set_terms(self, schedule_id: str, price_cents: int, quantity: int | None) -> bool:
        statement = update(_offers).where(_offers.c.schedule_id == schedule_id)
        if quantity is not None:
            statement = statement.where(_offers.c.seats_taken <= quantity)
        values = {"price_cents": price_cents, "quantity": quantity}
        return await self._rowcount(statement.values(values)) == 1

    async def take_seat(self, schedule_id: str) -> bool:
        quantity, taken = _offers.c.quantity, _offers.c.seats_taken
        statement = (
            update(_offers)
            .where(_offers.c.schedule_id == schedule_id)
            .where(quantity.is_(None) | (taken < quantity))
            .values(seats_taken=_offers.c.seats_taken + 1)
        )
        return await self._rowcount(statement) == 1

    async def lock_offer(self, schedule_id: str) -> None:
        await self._session.execute(sql.LOCK_OFFER, {"p_schedule": schedule_id})

    # --- orders ----------------------------------------------------------------------------------------------

    async def add_order(self, order: Order) -> bool:
        statement = self._insert(_orders).values(_order_values(order)).on_conflict_do_nothing()
        inserted = await self._session.execute(statement.returning(_orders.c.id))
        return inserted.first() is not None

    async def order(self, order_id: str) -> Order | None:
        row = (await self._session.execute(sql.ORDER_BY_ID, {"p_order": order_id})).first()
        return _order_at(row) if row is not None else None

    async def order_and_schedule(
        self, order_id: str | None = None, *, payment_intent: str | None = None
    ) -> tuple[Order, ScheduledSpace] | None:
        if order_id is not None:
            row = (await self._session.execute(sql.ORDER_AND_SCHEDULE, {"p_order": order_id})).first()
        elif payment_intent is not None:
            row = (await self._session.execute(sql.ORDER_AND_SCHEDULE_BY_INTENT, {"p_intent": payment_intent})).first()
        else:
            return None
        if row is None:
            return None
        # The schedule store's own mapping (it reads attributes), so the two reads of a Space can't drift apart.
        schedule = SimpleNamespace(**dict(zip(sql.SCHEDULE_NAMES, row[len(_ORDER_NAMES) :], strict=True)))
        return _order_at(row), _schedule(cast(ScheduledSpaceRow, schedule))

    async def active_order(self, schedule_id: str, user_id: int) -> Order | None:
        statement = select(*_ORDER_COLUMNS).where(
            _orders.c.schedule_id == schedule_id,
            _orders.c.user_id == user_id,
            _orders.c.seat.is_(True),
        )
        row = (await self._session.execute(statement)).mappings().first()
        return _order(row) if row is not None else None

    async def orders(
        self,
        *,
        schedule_id: str | None = None,
        states: Collection[OrderState] = (),
        ids: Collection[str] = (),
        expiring_before: datetime | None = None,
    ) -> list[Order]:
        statement = select(*_ORDER_COLUMNS)
        if schedule_id is not None:
            statement = statement.where(_orders.c.schedule_id == schedule_id)
        if states:
            statement = statement.where(_orders.c.state.in_([s.value for s in states]))
        if ids:
            statement = statement.where(_orders.c.id.in_(list(ids)))
        if expiring_before is not None:
            statement = statement.where(_orders.c.expires_at < expiring_before)
        statement = statement.order_by(_orders.c.created_at, _orders.c.id)
        return [_order(row) for row in (await self._session.execute(statement)).mappings()]

    async def move(self, order: Order, to: OrderState, **changes: object) -> Order | None:
        names, values = self._changes(order, changes)
        if to not in RELEASES_SEAT:
            return await self._moved(sql.move_statement(self._dialect, to, names, None), values)
        await self.lock_offer(order.schedule_id)  # offer row first, as a buyer does: no lock-order deadlock
        # The usual case: the order held its seat and gives it back with the move (in the same statement on
        # PostgreSQL). Otherwise (refund_due after a late payment: no seat) the move alone.
        seat = {"p_schedule": order.schedule_id}
        released = await self._moved(sql.move_statement(self._dialect, to, names, True), {**values, **seat})
        if released is not None:
            if self._dialect != "postgresql":  # PostgreSQL gave the seat back in the move's own statement
                await self._session.execute(sql.RELEASE_SEAT, seat)
            return released
        return await self._moved(sql.move_statement(self._dialect, to, names, False), values)

    async def pay(self, order: Order, now: datetime, **changes: object) -> tuple[Order, bool] | None:
        names, values = self._changes(order, changes)
        if self._dialect != "postgresql":
            paid = await self._moved(sql.move_statement(self._dialect, OrderState.PAID, names, None), values)
            return (paid, await self.grant(paid, now)) if paid is not None else None
        row = (await self._session.execute(sql.pay_statement(names), {**values, "p_granted_at": now})).first()
        return (_order_at(row), bool(row[-1])) if row is not None else None

    @staticmethod
    def _changes(order: Order, changes: Mapping[str, object]) -> tuple[tuple[str, ...], dict[str, object]]:
        """The changed columns' names (a statement's shape) and the parameters of a move of `order`."""
        names = tuple(sorted(changes))
        values = {f"p_{name}": _column_value(changes[name]) for name in names}
        return names, {"p_order": order.id, **values}

    async def _moved(self, statement: Any, values: Mapping[str, object]) -> Order | None:
        row = (await self._session.execute(statement, values)).first()
        return _order_at(row) if row is not None else None

    async def set_checkout(self, order_id: str, session_id: str, url: str) -> bool:
        statement = (
            update(_orders)
            .where(_orders.c.id == order_id, _orders.c.state == OrderState.PENDING.value)
            .values(checkout_session_id=session_id, checkout_url=url)
        )
        return await self._rowcount(statement) == 1

    async def set_refund(self, order_id: str, refund_id: str) -> bool:
        """The Stripe refund a refund_due order waits for (its status is read again by that id)."""
        statement = (
            update(_orders)
            .where(_orders.c.id == order_id, _orders.c.state == OrderState.REFUND_DUE.value)
            .values(refund_id=refund_id)
        )
        return await self._rowcount(statement) == 1

    async def refund_failed(self, order: Order, refund_id: str | None, failure: str, now: datetime) -> Order | None:
        """Stripe kept the money. refund_due → paid again, the failure remembered and the ticket given back; a
        refund that had succeeded and failed afterwards only records the failure on the refunded order (its seat
        may be sold since). None when the order is in neither case (a repeat, or another refund)."""
        statement = update(_orders).where(_orders.c.id == order.id).returning(*_ORDER_COLUMNS)
        if order.state is OrderState.REFUNDED:
            statement = statement.where(
                _orders.c.state == OrderState.REFUNDED.value,
                _orders.c.refund_id == refund_id,
                _orders.c.refund_failure.is_(None),
            ).values(refund_failure=failure[:64])
        else:
            statement = statement.where(_orders.c.state == OrderState.REFUND_DUE.value).values(
                state=OrderState.PAID.value,
                refund_failure=failure[:64],
                refund_attempts=_orders.c.refund_attempts + 1,
                refunded_at=None,
            )
        row = (await self._session.execute(statement)).mappings().first()
        if row is None:
            return None
        changed = _order(row)
        if changed.state is OrderState.PAID:
            await self.grant(changed, now)  # False only if the member bought another ticket meanwhile
        return changed

    async def set_choice(self, order_id: str, choice: HolderChoice, *, only_from: Collection[HolderChoice]) -> bool:
        statement = (
            update(_orders)
            .where(
                _orders.c.id == order_id,
                _orders.c.state == OrderState.PAID.value,
                _orders.c.choice.in_([c.value for c in only_from]),
            )
            .values(choice=choice.value)
        )
        return await self._rowcount(statement) == 1

    async def ask_holders(self, schedule_id: str) -> list[Order]:
        statement = (
            update(_orders)
            .where(_orders.c.schedule_id == schedule_id, _orders.c.state == OrderState.PAID.value)
            .values(choice=HolderChoice.ASK.value)
            .returning(*_ORDER_COLUMNS)
        )
        orders = [_order(row) for row in (await self._session.execute(statement)).mappings()]
        return sorted(orders, key=lambda o: (o.created_at, o.id))

    # --- tickets ---------------------------------------------------------------------------------------------

    async def grant(self, order: Order, now: datetime) -> bool:
        values = {"p_schedule_id": order.schedule_id, "p_user_id": order.user_id, "p_order_id": order.id}
        statement = sql.insert_statement(self._dialect, _tickets, "order_id")
        return (await self._session.execute(statement, {**values, "p_granted_at": now})).first() is not None

    async def revoke(self, order: Order) -> None:
        await self._session.execute(sql.REVOKE, {"p_order": order.id})

    async def holders(self, schedule_id: str) -> list[int]:
        statement = select(_tickets.c.user_id).where(_tickets.c.schedule_id == schedule_id)
        return sorted(int(u) for u in (await self._session.execute(statement)).scalars())

    async def is_holder(self, schedule_id: str, user_id: int) -> bool:
        statement = select(exists().where(_tickets.c.schedule_id == schedule_id, _tickets.c.user_id == user_id))
        return bool((await self._session.execute(statement)).scalar())

    # --- waitlist --------------------------------------------------------------------------------------------

    async def join_waitlist(self, schedule_id: str, user_id: int, now: datetime) -> tuple[int, bool]:
        values = {"schedule_id": schedule_id, "user_id": user_id, "joined_at": now}
        statement = self._insert(_waitlist).values(values).on_conflict_do_nothing()
        fresh = (await self._session.execute(statement.returning(_waitlist.c.seq))).first() is not None
        mine = select(_waitlist.c.seq).where(_waitlist.c.schedule_id == schedule_id, _waitlist.c.user_id == user_id)
        ahead = select(func.count()).where(
            _waitlist.c.schedule_id == schedule_id, _waitlist.c.seq <= mine.scalar_subquery()
        )
        return int((await self._session.execute(ahead)).scalar_one()), not fresh

    async def waiting(self, schedule_id: str, *, limit: int = 1) -> list[WaitlistEntry]:
        seated = select(_orders.c.id).where(
            _orders.c.schedule_id == _waitlist.c.schedule_id,
            _orders.c.user_id == _waitlist.c.user_id,
            _orders.c.seat.is_(True),
        )
        statement = (
            select(_waitlist)
            .where(_waitlist.c.schedule_id == schedule_id, ~seated.exists())
            .order_by(_waitlist.c.seq)
            .limit(limit)
            # Two releases at once on PostgreSQL: each takes a different member instead of both taking the first.
            .with_for_update(skip_locked=True, of=_waitlist)
        )
        rows = (await self._session.execute(statement)).mappings()
        return [
            WaitlistEntry(r["seq"], r["schedule_id"], r["user_id"], _aware(r["joined_at"]) or r["joined_at"])
            for r in rows
        ]

    async def has_waiting(self, schedule_id: str) -> bool:
        return bool((await self._session.execute(sql.HAS_WAITING, {"p_schedule": schedule_id})).scalar())

    async def leave_waitlist(self, schedule_id: str, user_id: int) -> WaitlistEntry | None:
        statement = (
            delete(_waitlist)
            .where(_waitlist.c.schedule_id == schedule_id, _waitlist.c.user_id == user_id)
            .returning(_waitlist.c.seq, _waitlist.c.joined_at)
        )
        row = (await self._session.execute(statement)).first()
        if row is None:
            return None
        seq, joined_at = row
        return WaitlistEntry(seq or 0, schedule_id, user_id, _aware(joined_at) or joined_at)

    async def restore_waitlist(self, entry: WaitlistEntry) -> None:
        values = {
            "seq": entry.seq,
            "schedule_id": entry.schedule_id,
            "user_id": entry.user_id,
            "joined_at": entry.joined_at,
        }
        await self._session.execute(self._insert(_waitlist).values(values).on_conflict_do_nothing())

    async def clear_waitlist(self, schedule_id: str) -> list[int]:
        statement = delete(_waitlist).where(_waitlist.c.schedule_id == schedule_id)
        removed = await self._session.execute(statement.returning(_waitlist.c.user_id))
        return sorted(int(u) for u in removed.scalars())

    async def offers_with_waitlist(self) -> list[str]:
        statement = select(_waitlist.c.schedule_id).distinct()
        return sorted(str(s) for s in (await self._session.execute(statement)).scalars())

    # --- payment events --------------------------------------------------------------------------------------

    async def record_event(self, event_id: str, event_type: str, outcome: str, now: datetime) -> bool:
        values = {"p_event_id": event_id, "p_type": event_type, "p_received_at": now, "p_outcome": outcome}
        statement = sql.insert_statement(self._dialect, _events, "event_id")
        return (await self._session.execute(statement, values)).first() is not None

    async def known_events(self, event_ids: Collection[str]) -> set[str]:
        known: set[str] = set()
        ids = list(event_ids)
        for start in range(0, len(ids), 500):  # bounded IN lists
            statement = select(_events.c.event_id).where(_events.c.event_id.in_(ids[start : start + 500]))
            known.update(str(i) for i in (await self._session.execute(statement)).scalars())
        return known
