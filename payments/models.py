"""What the rest of Spaces reads from Stripe, as small frozen values built from Stripe's JSON.

Built from plain dicts (``StripeObject.to_dict()`` or a webhook body), so the API and webhooks give the same
types, and nothing outside ``payments`` handles SDK objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, cast

__all__ = ["CheckoutLink", "CheckoutSession", "ConnectAccount", "Refund", "StripeEvent"]

SessionStatus = Literal["open", "complete", "expired"]
PaymentStatus = Literal["paid", "unpaid", "no_payment_required"]


def _time(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


def _id_of(value: Any) -> str | None:
    """An id whether the field was sent as an id or expanded into its object."""
    if isinstance(value, Mapping):
        return str(value["id"])
    return None if value is None else str(value)


class CheckoutLink(NamedTuple):
    session_id: str
    url: str


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    status: SessionStatus
    payment_status: PaymentStatus
    amount_total: int
    currency: str
    client_reference_id: str | None
    payment_intent: str | None
    created: datetime
    expires_at: datetime
    url: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def paid(self) -> bool:
        """Money is in: a completed session can still be ``unpaid`` while an async payment settles."""
        return self.status == "complete" and self.payment_status == "paid"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckoutSession:
        if data.get("object") != "checkout.session":
            raise ValueError(f"not a checkout.session: {data.get('object')!r}")
        return cls(
            id=str(data["id"]),
            status=cast(SessionStatus, data["status"]),
            payment_status=cast(PaymentStatus, data["payment_status"]),
            amount_total=int(data["amount_total"]),
            currency=str(data["currency"]),
            client_reference_id=data.get("client_reference_id"),
            payment_intent=_id_of(data.get("payment_intent")),
            created=_time(data["created"]),
            expires_at=_time(data["expires_at"]),
            url=data.get("url"),
            metadata=dict(data.get("metadata") or {}),
        )


@dataclass(frozen=True)
class Refund:
    """Stripe's Refund: ``status`` pending | requires_action | succeeded | failed | canceled; ``failure_reason``
    (lost_or_stolen_card, expired_or_canceled_card, declined, insufficient_funds, merchant_request, unknown...)
    once failed. Only ``succeeded`` is money back with the buyer."""

    id: str
    amount: int
    currency: str
    payment_intent: str | None
    status: str
    failure_reason: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Refund:
        if data.get("object") not in (None, "refund"):
            raise ValueError(f"not a refund: {data.get('object')!r}")
        return cls(
            id=str(data["id"]),
            amount=int(data["amount"]),
            currency=str(data["currency"]),
            payment_intent=_id_of(data.get("payment_intent")),
            status=str(data["status"]),
            failure_reason=data.get("failure_reason"),
            metadata=dict(data.get("metadata") or {}),
        )


@dataclass(frozen=True)
class ConnectAccount:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool

    @property
    def ready(self) -> bool:
        """Destination charges to this account will be accepted."""
        return self.charges_enabled and self.details_submitted

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConnectAccount:
        return cls(
            id=str(data["id"]),
            charges_enabled=bool(data.get("charges_enabled")),
            payouts_enabled=bool(data.get("payouts_enabled")),
            details_submitted=bool(data.get("details_submitted")),
        )


@dataclass(frozen=True)
class StripeEvent:
    """A Stripe event; ``object`` is ``data.object`` as Stripe sent it (a snapshot at the time of the event)."""

    id: str
    type: str
    created: datetime
    object: Mapping[str, Any]
    previous_attributes: Mapping[str, Any] = field(default_factory=dict)
    account: str | None = None

    @property
    def object_type(self) -> str:
        return str(self.object.get("object", ""))

    def checkout_session(self) -> CheckoutSession:
        """The session this ``checkout.session.*`` event carries (``ValueError`` for other events)."""
        return CheckoutSession.from_json(self.object)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StripeEvent:
        if data.get("object") != "event":
            raise ValueError(f"not an event: {data.get('object')!r}")
        body = data["data"]
        return cls(
            id=str(data["id"]),
            type=str(data["type"]),
            created=_time(data["created"]),
            object=dict(body["object"]),
            previous_attributes=dict(body.get("previous_attributes") or {}),
            account=data.get("account"),
        )
