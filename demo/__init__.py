"""The offline demo: the real bot against the local Discord-compatible server, SQLite, no account anywhere."""
