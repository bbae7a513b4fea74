"""Recording and replays: `/space record|replay` and the recording, replay files and retention they drive."""

__all__ = ["cog", "replays"]
