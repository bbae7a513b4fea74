"""Connect: Express accounts for hosts, onboarding links, and the onboarding a host completes on Stripe's site."""

from __future__ import annotations

import secrets

from stripe_sandbox.errors import invalid_request
from stripe_sandbox.forms import Params, as_dict, get_str
from stripe_sandbox.ledger import JSON, Ledger

__all__ = ["ACCOUNT_PARAMS", "LINK_PARAMS", "complete_onboarding", "create_account", "create_account_link"]

ACCOUNT_PARAMS = frozenset({"type", "country", "email", "capabilities", "business_type", "metadata", "expand"})
LINK_PARAMS = frozenset({"account", "refresh_url", "return_url", "type", "collect", "expand"})
_LINK_LIFETIME = 300


def _unknown(params: Params, allowed: frozenset[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise invalid_request(f"Received unknown parameter: {unknown[0]}", param=unknown[0])


def create_account(ledger: Ledger, params: Params) -> JSON:
    _unknown(params, ACCOUNT_PARAMS)
    account_type = get_str(params, "type", required=True)
    if account_type != "express":
        raise invalid_request("The local Stripe server creates only type=express accounts.", param="type")
    requested = [
        name
        for name, value in as_dict(params, "capabilities").items()
        if isinstance(value, dict) and value.get("requested") == "true"
    ]
    if "transfers" not in requested:
        raise invalid_request(
            "Accounts using the Express dashboard must request the `transfers` capability.",
            param="capabilities",
        )
    return ledger.add(
        {
            "id": ledger.new_id("acct"),
            "object": "account",
            "business_type": get_str(params, "business_type"),
            "capabilities": dict.fromkeys(sorted(requested), "inactive"),
            "charges_enabled": False,
            "country": get_str(params, "country", default="US"),
            "created": ledger.clock(),
            "details_submitted": False,
            "email": get_str(params, "email"),
            "metadata": {str(k): str(v) for k, v in as_dict(params, "metadata").items()},
            "payouts_enabled": False,
            "type": "express",
        }
    )


def create_account_link(ledger: Ledger, params: Params, base_url: str) -> JSON:
    _unknown(params, LINK_PARAMS)
    account_id = get_str(params, "account", required=True)
    assert account_id is not None
    ledger.get("account", account_id, param="account")
    link_type = get_str(params, "type", required=True)
    if link_type not in ("account_onboarding", "account_update"):
        raise invalid_request(f"Invalid type: {link_type}", param="type")
    refresh_url = get_str(params, "refresh_url", required=True)
    return_url = get_str(params, "return_url", required=True)
    token = secrets.token_urlsafe(12)
    ledger.extras[account_id][token] = {"refresh_url": refresh_url, "return_url": return_url}
    now = ledger.clock()
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + _LINK_LIFETIME,
        "url": f"{base_url}/setup/e/{account_id}/{token}",
    }


def complete_onboarding(ledger: Ledger, account_id: str) -> JSON:
    account = ledger.get("account", account_id, param="account")
    previous = {"charges_enabled": account["charges_enabled"], "details_submitted": account["details_submitted"]}
    account.update(
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
        capabilities=dict.fromkeys(account["capabilities"], "active"),
    )
    ledger.record_event("account.updated", account, previous, account=account_id)
    return account
