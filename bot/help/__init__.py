"""Help: `/help`."""

__all__ = ["cog"]
