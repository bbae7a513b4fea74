"""A Space's audio in Discord: the Stage voice connection, our voice receiver, the per-server audio slot and the
audio rooms that feed web listeners and the recorder, and the replay files it writes."""

__all__ = ["replays", "rooms", "server_audio", "stage", "voice_receive"]
