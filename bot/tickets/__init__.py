"""Ticketed Spaces: `/space tickets|sales|refund`, `/payouts`, the ticket gate on the Stage, the ticket desk, hooks into
the Space lifecycle, buyer notices, rendering and buttons."""

__all__ = ["cog", "desk", "gate", "hooks", "notifier", "render", "schedule_handlers", "views"]
