"""Low-latency HLS of live Spaces for web listeners WebRTC cannot reach (docs/HLS.md).

``streams.HlsStreams`` attaches a segmenter (``spaces_core.audio.hls``) to each public live Space's relay hub;
``routes`` adds what the listen page asks for to the bot's web server. The composition root wires both.
"""
