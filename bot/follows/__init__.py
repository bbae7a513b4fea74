"""Following hosts: `/follow`, `/unfollow`, `/following` (the follow graph behind go-live DMs)."""

__all__ = ["cog"]
