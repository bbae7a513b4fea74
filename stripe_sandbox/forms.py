"""Stripe's form encoding, decoded: ``line_items[0][price_data][currency]=usd`` back into nested dicts and lists.

The SDK flattens every parameter this way (request bodies for POST, the query string for GET) and sends each
value as text (``true``/``false`` for booleans), so endpoints read values through the typed getters below, which
answer with the same ``invalid_request_error`` wording Stripe uses.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from stripe_sandbox.errors import invalid_request

__all__ = ["Params", "as_dict", "as_list", "decode", "get_bool", "get_int", "get_str"]

Params = dict[str, Any]

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _path(key: str) -> list[str]:
    match = _KEY.match(key)
    if match is None:
        raise invalid_request(f"Invalid parameter name: {key}", param=key)
    return [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]


def _listify(node: Any) -> Any:
    """Dicts whose keys are all indexes ("0", "1"...) were arrays: give them back as lists, in index order."""
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def decode(text: str) -> Params:
    root: Params = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        parts = _path(key)
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part or str(len(node)), {})
            if not isinstance(child, dict):
                raise invalid_request(f"Invalid parameter name: {key}", param=key)
            node = child
        last = parts[-1] or str(len(node))  # "expand[]=x" appends
        node[last] = value
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def get_str(params: Params, name: str, *, required: bool = False, default: str | None = None) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise invalid_request(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return default
    if not isinstance(value, str):
        raise invalid_request(f"Invalid string: {name}", param=name)
    return value


def get_int(params: Params, name: str, *, required: bool = False, default: int | None = None) -> int | None:
    text = get_str(params, name, required=required)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise invalid_request(f"Invalid integer: {text}", param=name) from None


def get_bool(params: Params, name: str, *, default: bool = False) -> bool:
    text = get_str(params, name)
    if text is None:
        return default
    if text not in ("true", "false"):
        raise invalid_request(f"Invalid boolean: {text}", param=name)
    return text == "true"


def as_dict(params: Params, name: str) -> Params:
    value = params.get(name, {})
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid_request(f"Invalid hash: {name}", param=name)
    return value


def as_list(params: Params, name: str) -> list[Any]:
    value = params.get(name, [])
    if isinstance(value, str):
        return [value] if value else []
    if not isinstance(value, list):
        raise invalid_request(f"Invalid array: {name}", param=name)
    return value
