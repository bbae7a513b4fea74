"""Live captions as members see them: the pipeline from each speaker's audio to phrases, the Stage chat's
"Live captions" message, the card's captions state, and the feed the listen page reads."""
