"""A Space's audio in Discord: the Stage voice connection, our voice receiver, the per-server audio slot and the
audio rooms that feed web listeners and the recorder."""

__all__ = ["rooms", "server_audio", "stage", "voice_receive"]
