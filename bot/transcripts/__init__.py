"""What was said in Spaces, after the fact: `/space transcript` (.txt and WebVTT files), `/space search`, and the
transcript beside the replay player. The live captions are `bot.captions`."""
