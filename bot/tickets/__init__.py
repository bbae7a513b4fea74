"""Ticketed Spaces: `/space tickets|sales|refund`, `/payouts`, the ticket gate on the Stage, the ticket desk, hooks into
the Space lifecycle, the ticket events' handlers (roles, buyer notices, cards), rendering and buttons."""

__all__ = ["cog", "desk", "gate", "handlers", "render", "schedule_handlers", "views"]
