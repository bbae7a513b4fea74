"""Recording and replays: `/space record|replay`. The replay files and their retention sweep are written and kept
by the audio rooms, so they live below this feature in `bot.audio.replays`."""

__all__ = ["cog"]
