"""Scheduled Spaces: the `/space schedule|reschedule|cancel|upcoming` bodies, their rendering, buttons, and the
announcer that posts reminders and the start card."""

__all__ = ["announcer", "cog", "render", "views"]
