"""The bot's settings from the environment: ticketed Spaces need both Stripe secrets, well-formed, and a web port."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError

BASE = {"DISCORD_TOKEN": "token", "WEB_PORT": "8080"}
STRIPE = {"STRIPE_SECRET_KEY": "sk_test_123", "STRIPE_WEBHOOK_SECRET": "whsec_abc"}


def test_tickets_are_off_without_stripe_settings() -> None:
    settings = Settings.from_env(BASE)
    assert not settings.tickets_enabled
    assert settings.stripe_api_base == ""


def test_tickets_are_on_with_both_secrets() -> None:
    settings = Settings.from_env({**BASE, **STRIPE, "STRIPE_API_BASE": "http://127.0.0.1:12111/"})
    assert settings.tickets_enabled
    assert settings.stripe_api_base == "http://127.0.0.1:12111"
    assert settings.ticket_reconcile_seconds == 180.0


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"STRIPE_SECRET_KEY": "sk_test_123"}, "STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_WEBHOOK_SECRET": "whsec_abc"}, "STRIPE_SECRET_KEY"),
        ({**STRIPE, "STRIPE_SECRET_KEY": "pk_test_123"}, "STRIPE_SECRET_KEY"),  # a publishable key by mistake
        ({**STRIPE, "STRIPE_WEBHOOK_SECRET": "abc"}, "STRIPE_WEBHOOK_SECRET"),
        ({**STRIPE, "STRIPE_API_BASE": "localhost:12111"}, "STRIPE_API_BASE"),
    ],
)
def test_half_or_malformed_stripe_settings_are_refused_by_name(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env({**BASE, **env})


def test_tickets_need_the_web_server_for_webhooks() -> None:
    with pytest.raises(SettingsError, match="WEB_PORT"):
        Settings.from_env({"DISCORD_TOKEN": "token", **STRIPE})


def test_a_space_takes_a_thousand_web_listeners_unless_told_otherwise() -> None:
    assert Settings.from_env(BASE).web_listeners_per_space == 1000
    assert Settings.from_env({**BASE, "WEB_LISTENERS_PER_SPACE": "250"}).web_listeners_per_space == 250


@pytest.mark.parametrize("value", ["0", "-5", "3001", "many", "1.5"])
def test_a_web_listener_cap_out_of_range_is_refused_by_name(value: str) -> None:
    with pytest.raises(SettingsError, match="WEB_LISTENERS_PER_SPACE"):
        Settings.from_env({**BASE, "WEB_LISTENERS_PER_SPACE": value})


def test_captions_use_the_packaged_model_unless_a_directory_is_named() -> None:
    assert Settings.from_env(BASE).captions_model_dir == ""
    named = Settings.from_env({**BASE, "CAPTIONS_MODEL_DIR": " /models/base ", "CAPTIONS_EDIT_INTERVAL": "3"})
    assert named.captions_model_dir == "/models/base" and named.captions_edit_interval == 3.0
