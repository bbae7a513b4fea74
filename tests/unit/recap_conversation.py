"""A realistic beat-making Q&A Space: host Maya (1), producer Dre (2), listener-turned-speaker Kim (3).

Times are seconds from the Space's start; the phrases read like whisper output (punctuated, sometimes two
sentences in one phrase).
"""

from __future__ import annotations

from datetime import timedelta

from spaces_core.recap import Phrase

MAYA, DRE, KIM = 1, 2, 3
SPACE_ID = "s77"

_ROWS: list[tuple[int, float, float, str]] = [
    (MAYA, 2.0, 8.5, "Welcome everyone to beat club, tonight we are talking about drums and sampling."),
    (MAYA, 9.0, 14.0, "Dre is here with us, he has produced for a lot of artists you know."),
    (DRE, 15.0, 21.5, "Thanks Maya, happy to be here and answer anything about making beats."),
    (MAYA, 22.0, 26.0, "Let's start with drums. How do you pick your kick drum?"),
    (DRE, 27.0, 38.0, "I always pick the kick drum first, because the kick drum decides the whole groove of the beat."),
    (DRE, 38.5, 45.0, "Then I tune the kick drum to the key of the song so the bass does not fight it."),
    (KIM, 46.0, 50.0, "Wait, do you tune every drum sample or only the kick?"),
    (DRE, 51.0, 58.0, "Mostly the kick and the snare, the hi-hats can stay where they are."),
    (MAYA, 59.0, 63.5, "What about sidechain compression, is that still a thing?"),
    (
        DRE,
        64.0,
        75.0,
        "Sidechain compression is how the kick drum and the bass share the low end without muddying the mix.",
    ),
    (DRE, 75.5, 82.0, "I put sidechain compression on the bass and let the kick drum trigger it."),
    (KIM, 83.0, 87.0, "Which compressor do you use for that?"),
    (DRE, 88.0, 93.0, "Honestly the stock compressor in any DAW is fine for sidechain compression."),
    (MAYA, 94.0, 97.0, "Okay, nice."),
    (MAYA, 98.0, 104.0, "Let's move on to sampling, because that is what most of you asked about."),
    (KIM, 105.0, 112.0, "Where do you find vinyl samples that are not already used by everybody?"),
    (
        DRE,
        113.0,
        124.0,
        "I dig for vinyl samples in thrift stores, old gospel and library records are full of great loops.",
    ),
    (DRE, 124.5, 131.0, "What I do is chop the vinyl samples into short pieces and play them back on pads."),
    (KIM, 132.0, 136.0, "Do you clear the vinyl samples before you release?"),
    (
        DRE,
        137.0,
        147.0,
        "You should always clear samples before release, a sample clearance costs less than a lawsuit.",
    ),
    (MAYA, 148.0, 152.0, "That is a great point about sample clearance."),
    (MAYA, 153.0, 158.0, "Kim, you had a question about mixing, right?"),
    (KIM, 159.0, 166.0, "Yes. How loud should the drums be in the mix compared to the vocals?"),
    (DRE, 167.0, 178.0, "Mix the drums around the vocals, the vocals sit on top and the drums support them."),
    (DRE, 178.5, 186.0, "I mix at low volume, because at low volume you hear the balance of the mix honestly."),
    (KIM, 187.0, 190.0, "That makes sense, thank you."),
    (MAYA, 191.0, 196.0, "Let's talk about mastering before we wrap up."),
    (MAYA, 196.5, 201.0, "Should beginners master their own beats?"),
    (DRE, 202.0, 212.0, "Beginners can master their own beats, but mastering is easier with fresh ears the next day."),
    (DRE, 212.5, 220.0, "A limiter on the master bus and a reference track will get you most of the way."),
    (KIM, 221.0, 226.0, "Is there a reference track you use for mastering?"),
    (DRE, 227.0, 233.0, "I use whatever song inspired the beat as the reference track."),
    (MAYA, 234.0, 239.0, "I pinned the sample pack Dre made for tonight, grab it from the links."),
    (DRE, 239.5, 246.0, "The sample pack has the kick drum and vinyl samples we talked about, all cleared."),
    (MAYA, 247.0, 251.0, "Who wants to share a beat next week?"),
    (KIM, 252.0, 256.0, "I will share a beat next week, built with the sample pack."),
    (MAYA, 257.0, 262.0, "Perfect, send it to me at https://beats.example/upload before Friday."),
    (DRE, 263.0, 268.0, "Thanks everyone, keep making beats and keep your kick drum tuned."),
    (MAYA, 269.0, 274.0, "Thank you Dre, thank you Kim, see you all next week at beat club."),
    (MAYA, 274.5, 276.0, "Bye."),
]


def conversation() -> list[Phrase]:
    return [
        Phrase(SPACE_ID, speaker, timedelta(seconds=start), timedelta(seconds=end), text, "en")
        for speaker, start, end, text in _ROWS
    ]
