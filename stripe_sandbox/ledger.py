"""The server's memory: every object by id in creation order, the event log, lists, ``expand``.

Objects are kept as the JSON Stripe would send (plain dicts), so what a handler stores is what a client reads.
Private details Stripe does not return on the object itself (line items, ``payment_intent_data``) live in
``extras``.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import string
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from stripe_sandbox.errors import invalid_request, missing
from stripe_sandbox.forms import Params, as_dict, as_list, get_int, get_str

__all__ = ["JSON", "Ledger", "expand_paths"]

JSON = dict[str, Any]

API_VERSION = "2026-01-28.clover"
_ALPHABET = string.ascii_letters + string.digits
_RANGE_OPS: dict[str, Callable[[int, int], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


class Ledger:
    def __init__(self, clock: Callable[[], int]) -> None:
        self.clock = clock
        self.objects: dict[str, JSON] = {}
        self.extras: dict[str, JSON] = defaultdict(dict)
        self._by_kind: dict[str, list[str]] = defaultdict(list)
        self.events: list[JSON] = []
        self.on_event: list[Callable[[JSON], None]] = []
        self._seq = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        # A sequence number first keeps ids unique and sortable; the random tail looks like Stripe's.
        tail = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        return f"{prefix}_{next(self._seq):08d}{tail}"

    def add(self, obj: JSON) -> JSON:
        self.objects[obj["id"]] = obj
        self._by_kind[obj["object"]].append(obj["id"])
        return obj

    def get(self, kind: str, object_id: str, param: str = "id") -> JSON:
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise missing(kind, object_id, param)
        return obj

    def all(self, kind: str) -> list[JSON]:
        return [self.objects[object_id] for object_id in self._by_kind[kind]]

    def record_event(
        self, event_type: str, obj: JSON, previous: JSON | None = None, *, account: str | None = None
    ) -> JSON:
        data: JSON = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = previous
        event: JSON = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.clock(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if account is not None:
            event["account"] = account
        self.events.append(event)
        for listener in self.on_event:
            listener(event)
        return event

    def list_page(self, items: Iterable[JSON], params: Params, url: str) -> JSON:
        """Stripe's list envelope over ``items`` given oldest first: newest first, ``created`` ranges, cursors."""
        newest_first = [item for item in reversed(list(items)) if _created_matches(item, params)]
        limit = get_int(params, "limit", default=10)
        assert limit is not None
        if not 1 <= limit <= 100:
            raise invalid_request("This value must be between 1 and 100.", param="limit")
        after, before = get_str(params, "starting_after"), get_str(params, "ending_before")
        ids = [item["id"] for item in newest_first]
        if after is not None:
            newest_first = newest_first[_cursor(ids, after, "starting_after") + 1 :]
        elif before is not None:
            end = _cursor(ids, before, "ending_before")
            newest_first = newest_first[max(0, end - limit) : end]
        page = newest_first[:limit]
        return {"object": "list", "url": url, "has_more": len(newest_first) > limit, "data": page}

    def expand(self, obj: JSON, paths: list[Any]) -> JSON:
        result = copy.deepcopy(obj)
        for path in paths:
            if isinstance(path, str):
                self._expand_path(result, path.split("."))
        return result

    def _expand_path(self, node: Any, parts: list[str]) -> None:
        if isinstance(node, list):
            for item in node:
                self._expand_path(item, parts)
            return
        if not isinstance(node, dict) or parts[0] not in node:
            return
        head, rest = parts[0], parts[1:]
        if rest:
            self._expand_path(node[head], rest)
        elif isinstance(node[head], str) and node[head] in self.objects:
            node[head] = copy.deepcopy(self.objects[node[head]])


def _cursor(ids: list[str], cursor: str, param: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise invalid_request(f"No such object: '{cursor}'", param=param, code="resource_missing") from None


def _created_matches(item: JSON, params: Params) -> bool:
    created = params.get("created")
    if created is None:
        return True
    if isinstance(created, str):
        exact = get_int(params, "created")
        return bool(item["created"] == exact)
    for op, bound in as_dict(params, "created").items():
        if op not in _RANGE_OPS:
            raise invalid_request(f"Received unknown parameter: created[{op}]", param=f"created[{op}]")
        value = get_int({"v": bound}, "v")
        assert value is not None
        if not _RANGE_OPS[op](item["created"], value):
            return False
    return True


def expand_paths(params: Params) -> list[Any]:
    return as_list(params, "expand")
