"""Discord's JSON error answers (status, code, message), raised anywhere and rendered by the REST layer."""

from __future__ import annotations

__all__ = ["ApiError", "ConnectRefused", "bad_request", "missing_permissions", "not_found", "unauthorized"]

# https://discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes
_UNKNOWN_CODES = {
    "account": 10001,
    "application": 10002,
    "channel": 10003,
    "guild": 10004,
    "member": 10007,
    "message": 10008,
    "overwrite": 10009,
    "role": 10011,
    "user": 10013,
    "webhook": 10015,
    "interaction": 10062,
    "command": 10063,
    "stage_instance": 10067,
    "scheduled_event": 10070,
    "voice_state": 10065,
}


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: dict[str, object] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors  # Discord's nested ``errors`` object (50035 Invalid Form Body), when it has one

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def not_found(kind: str) -> ApiError:
    label = kind.replace("_", " ").title()
    message = "Unknown interaction" if kind == "interaction" else f"Unknown {label}"  # Discord's own casing
    return ApiError(404, _UNKNOWN_CODES.get(kind, 0), message)


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def unauthorized() -> ApiError:
    return ApiError(401, 0, "401: Unauthorized")


def bad_request(code: int, message: str) -> ApiError:
    return ApiError(400, code, message)


class ConnectRefused(PermissionError):
    """A member tried to join a voice or Stage channel they lack Connect on (after overwrites): Discord's client
    greys the channel out and cannot join it, so the harness refuses the same way instead of joining."""

    def __init__(self, user_id: int, channel_id: int, channel_name: str) -> None:
        super().__init__(f"member {user_id} lacks the Connect permission on #{channel_name} ({channel_id})")
        self.user_id = user_id
        self.channel_id = channel_id
