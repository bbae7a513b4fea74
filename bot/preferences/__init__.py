"""Preferences: a member's `/settings` and `/privacy`, a server's `/server-settings`, and how its policy is shown."""

__all__ = ["member", "policy_render", "server"]
