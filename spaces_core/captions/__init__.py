"""Live captions' speech-to-text: per-speaker phrases (phrases.py) and one shared transcriber (transcriber.py).

Pure core: no discord, no store. The bot feeds each speaker's decoded 48 kHz frames to a `PhraseCutter` and hands
the phrases to the process's one `Transcriber`, whose captions come back on the event loop.
"""
