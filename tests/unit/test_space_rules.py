"""Hosting eligibility, policy defaults and follows."""

import pytest

from spaces_core.domain.errors import InvalidInput, NotEligible
from spaces_core.domain.follows import validate_follow
from spaces_core.domain.refs import RoleRef
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy, HostingRule, MemberPrefs, check_host_eligibility


def test_follower_minimum_names_both_numbers() -> None:
    with pytest.raises(NotEligible) as info:
        check_host_eligibility(HostingRule(min_followers=600), follower_count=12, actor=Actor(1))
    assert info.value.message == "Hosting here needs at least 600 followers on Spaces; you have 12."


def test_required_role_any_of() -> None:
    rule = HostingRule(required_role_ids=frozenset({7, 8}))
    check_host_eligibility(rule, follower_count=0, actor=Actor(1, role_ids=frozenset({8})))
    with pytest.raises(NotEligible, match=r"one of these roles: role 7, role 8\.") as info:
        check_host_eligibility(rule, follower_count=0, actor=Actor(1))
    assert info.value.refs == {"role_1": RoleRef(7), "role_2": RoleRef(8)}
    with pytest.raises(NotEligible, match=r"needs the role 7 role\.") as one:
        check_host_eligibility(HostingRule(required_role_ids=frozenset({7})), follower_count=0, actor=Actor(1))
    assert one.value.refs == {"role_1": RoleRef(7)}


def test_everything_missing_is_named_at_once() -> None:
    rule = HostingRule(min_followers=5, required_role_ids=frozenset({7}))
    with pytest.raises(NotEligible) as info:
        check_host_eligibility(rule, follower_count=1, actor=Actor(1))
    assert info.value.refs == {"role_1": RoleRef(7)} and "you have 1" in info.value.message


def test_admins_always_host_and_default_rule_lets_anyone_host() -> None:
    rule = HostingRule(min_followers=600, required_role_ids=frozenset({7}))
    check_host_eligibility(rule, follower_count=0, actor=Actor(1, is_admin=True))
    check_host_eligibility(HostingRule(), follower_count=0, actor=Actor(1))


def test_defaults() -> None:
    policy = GuildPolicy(guild_id=5)
    assert (policy.speaker_limit, policy.grace_seconds, policy.hosting_rule) == (10, 60, HostingRule())
    assert MemberPrefs(user_id=3).live_dms is True


def test_follow_yourself() -> None:
    validate_follow(1, 2)
    with pytest.raises(InvalidInput, match="can't follow yourself"):
        validate_follow(1, 1)
