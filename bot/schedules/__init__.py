"""Scheduled Spaces: the `/space schedule|reschedule|cancel|upcoming` bodies, their rendering, buttons, and the
bus handlers that post reminders and the start card."""

__all__ = ["announcer", "cog", "handlers", "render", "views"]
