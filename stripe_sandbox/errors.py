"""Stripe's error answers: ``{"error": {"type", "message", "param", "code"}}`` with the HTTP status Stripe uses."""

from __future__ import annotations

from typing import Any

__all__ = ["StripeApiError", "authentication", "idempotency", "invalid_request", "missing"]


class StripeApiError(Exception):
    def __init__(
        self, status: int, error_type: str, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(f"{status} {error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.error_type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
        return {"error": error}


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", message, param=param, code=code)


def missing(kind: str, object_id: str, param: str = "id") -> StripeApiError:
    return StripeApiError(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", param=param, code="resource_missing"
    )


def authentication(message: str) -> StripeApiError:
    return StripeApiError(401, "invalid_request_error", message)


def idempotency(message: str, status: int = 400) -> StripeApiError:
    return StripeApiError(status, "idempotency_error", message)
