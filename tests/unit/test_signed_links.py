"""Signed links: one purpose each (listen live, or the replay), expiring, for one Space; old listen links still work."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from bot.web.links import LinkRefused, LinkSigner, Purpose

SPACE, OTHER, MEMBER = "a1b2c3", "d4e5f6", 42
NOW = 1_700_000_000.0


def signer(now: list[float] | None = None, secret: str = "secret") -> LinkSigner:
    clock = now or [NOW]
    return LinkSigner(secret, clock=lambda: clock[0])


def test_each_purpose_verifies_to_its_member() -> None:
    links = signer()
    assert links.verify(links.sign(SPACE, MEMBER), SPACE) == MEMBER
    replay = links.sign(SPACE, MEMBER, purpose="replay")
    assert replay.startswith("replay.") and links.verify(replay, SPACE, purpose="replay") == MEMBER


def test_a_listen_link_in_the_first_format_still_opens_the_live_space() -> None:
    expires = int(NOW + 60)
    body = f"{SPACE}.{MEMBER}.{expires}"
    first_format = f"{body}.{hmac.new(b'secret', body.encode(), hashlib.sha256).hexdigest()}"
    assert signer().sign(SPACE, MEMBER, ttl_seconds=60) == first_format
    assert signer().verify(first_format, SPACE) == MEMBER


def test_a_link_is_not_usable_for_the_other_purpose() -> None:
    links = signer()
    with pytest.raises(LinkRefused, match=r"for listening live, not for the replay.*/space replay"):
        links.verify(links.sign(SPACE, MEMBER), SPACE, purpose="replay")
    with pytest.raises(LinkRefused, match=r"opens a replay, not the live Space.*/space share"):
        links.verify(links.sign(SPACE, MEMBER, purpose="replay"), SPACE)


def test_relabelling_a_listen_link_as_a_replay_link_breaks_its_signature() -> None:
    links = signer()
    listen = links.sign(SPACE, MEMBER)
    with pytest.raises(LinkRefused, match="not valid"):
        links.verify(f"replay.{listen}", SPACE, purpose="replay")


@pytest.mark.parametrize("purpose", ["listen", "replay"])
def test_forged_expired_and_misplaced_links_are_refused_with_the_reason(purpose: Purpose) -> None:
    now = [NOW]
    links = signer(now)
    good = links.sign(SPACE, MEMBER, ttl_seconds=60, purpose=purpose)
    *body, signature = good.split(".")
    forged_member = ".".join([*body[:-2], "43", body[-1], signature])
    cases = {
        "": "needs your personal link",
        "garbage": "not valid",
        good[:-1] + ("0" if good[-1] != "0" else "1"): "not valid",
        forged_member: "not valid",
        signer(secret="another secret").sign(SPACE, MEMBER, purpose=purpose): "not valid",
        good[:-2] + "é€": "not valid",  # no crash on characters compare_digest refuses in str
        base64.b64encode(good.encode()).decode(): "not valid",
    }
    for token, reason in cases.items():
        with pytest.raises(LinkRefused, match=reason):
            links.verify(token, SPACE, purpose=purpose)
    with pytest.raises(LinkRefused, match="for another Space"):
        links.verify(good, OTHER, purpose=purpose)
    assert links.verify(good, SPACE, purpose=purpose) == MEMBER
    now[0] += 61
    with pytest.raises(LinkRefused, match="expired: ask for a new one"):
        links.verify(good, SPACE, purpose=purpose)
