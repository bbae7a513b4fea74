"""A host's sales figures for one Space, and the CSV export (one row per order)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from spaces_core.domain.tickets import DEFAULT_CURRENCY, Order, OrderState, format_money

__all__ = ["CSV_HEADER", "SalesReport", "SalesRow"]

CSV_HEADER = ("order_id", "member_id", "state", "amount", "currency", "created", "paid", "refunded")
# Orders that took money at some point (a refunded one did, and its refund shows under refunds).
_CHARGED = frozenset({OrderState.PAID, OrderState.REFUND_DUE, OrderState.REFUNDED})


@dataclass(frozen=True, slots=True)
class SalesRow:
    order_id: str
    member_id: int
    state: str
    amount: str  # "5.00": the CSV is read by people and spreadsheets, not by us
    currency: str
    created: str
    paid: str
    refunded: str

    @classmethod
    def of(cls, order: Order) -> SalesRow:
        def moment(value: datetime | None) -> str:
            return value.isoformat() if value is not None else ""

        return cls(
            order_id=order.id,
            member_id=order.user_id,
            state=order.state.value,
            amount=f"{order.amount_cents // 100}.{order.amount_cents % 100:02d}",
            currency=order.currency.upper(),
            created=moment(order.created_at),
            paid=moment(order.paid_at),
            refunded=moment(order.refunded_at),
        )


@dataclass(frozen=True, slots=True)
class SalesReport:
    schedule_id: str
    currency: str
    sold: int  # tickets held now (paid)
    gross_cents: int  # everything charged, refunds included
    refunds_cents: int  # refunded or being refunded
    fees_cents: int  # the server's application fees on tickets that were not refunded (a refund returns the fee)
    rows: tuple[SalesRow, ...]

    @property
    def net_cents(self) -> int:
        """What the host keeps: gross, less refunds and the server's fees (Stripe's own fees not included)."""
        return self.gross_cents - self.refunds_cents - self.fees_cents

    def label(self, cents: int) -> str:
        return format_money(cents, self.currency)

    @classmethod
    def of(cls, schedule_id: str, orders: Sequence[Order], currency: str = DEFAULT_CURRENCY) -> SalesReport:
        charged = [o for o in orders if o.state in _CHARGED]
        refunding = [o for o in charged if o.state is not OrderState.PAID]
        return cls(
            schedule_id=schedule_id,
            currency=orders[0].currency if orders else currency,
            sold=sum(o.state is OrderState.PAID for o in orders),
            gross_cents=sum(o.amount_cents for o in charged),
            refunds_cents=sum(o.amount_cents for o in refunding),
            fees_cents=sum(o.fee_cents for o in charged if o.state is OrderState.PAID),
            rows=tuple(SalesRow.of(o) for o in sorted(orders, key=lambda o: (o.created_at, o.id))),
        )

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for row in self.rows:
            writer.writerow(
                (row.order_id, row.member_id, row.state, row.amount, row.currency, row.created, row.paid, row.refunded)
            )
        return out.getvalue()
