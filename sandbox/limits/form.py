"""Discord's "Invalid Form Body" answer: field errors collected by path into the nested ``errors`` object.

Discord answers a payload it refuses with HTTP 400, code 50035 and an ``errors`` object that mirrors the body:
``{"embeds": {"0": {"fields": {"2": {"value": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be
1024 or fewer in length."}]}}}}}}`` (list indices become string keys). discord.py flattens it into
"In embeds.0.fields.2.value: Must be 1024 or fewer in length." (``discord.errors._flatten_error_dict``).
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Any

from sandbox.errors import ApiError

__all__ = ["Form", "invalid_form_body"]

JSON = dict[str, Any]
Key = str | int


def invalid_form_body(errors: JSON) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", errors)


class Form:
    """A view of one place in the body (``form.at("embeds", 0)``); every view writes to the same error tree."""

    def __init__(self, tree: JSON | None = None, path: tuple[Key, ...] = ()) -> None:
        self._tree: JSON = {} if tree is None else tree
        self._path = path

    def at(self, *keys: Key) -> Form:
        return Form(self._tree, self._path + keys)

    def error(self, code: str, message: str) -> None:
        node = self._tree
        for key in self._path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    # -- Discord's generic checks, with its codes and sentences -------------------------------------------
    def max_length(self, value: Sized | None, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def length_between(self, value: Sized | None, low: int, high: int) -> None:
        if value is not None and not low <= len(value) <= high:
            self.error("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def required(self, value: object) -> bool:
        """True when present; a missing, null or empty value is Discord's BASE_TYPE_REQUIRED."""
        if value is None or value == "":
            self.error("BASE_TYPE_REQUIRED", "This field is required")
            return False
        return True

    def int_between(self, value: object, low: int, high: int) -> None:
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            self.error("NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        elif value < low:
            self.error("NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}.")
        elif value > high:
            self.error("NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}.")

    def text(self, value: object, limit: int) -> None:
        """A string field of at most ``limit`` characters (a non-string is refused as Discord does)."""
        if value is None:
            return
        if not isinstance(value, str):
            self.error("STRING_TYPE_CONVERT", "Could not interpret value as string.")
            return
        self.max_length(value, limit)

    # -- the answer ---------------------------------------------------------------------------------------
    @property
    def errors(self) -> JSON:
        return self._tree

    def __bool__(self) -> bool:
        return bool(self._tree)

    def raise_if_any(self) -> None:
        if self._tree:
            raise invalid_form_body(self._tree)
