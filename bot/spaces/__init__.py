"""Spaces: `/space` and its moderation commands, the presence listener, and the card, panel, buttons and
bus handlers that keep a live Space shown in Discord.

Submodules are imported where they are used (not here): features import one another, and a package that
imported its parts would turn those cross-feature imports into cycles.
"""

__all__ = ["cards", "cog", "embeds", "handlers", "moderation", "pickers", "presence", "views"]
