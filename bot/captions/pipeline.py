"""Live captions of each Space whose captions are on: its speakers' audio to phrases, phrases to captions.

A tap on the Space's mix engine (`bot.audio.rooms`) sees each allowed speaker's decoded 20 ms frame; one
`PhraseCutter` per speaker cuts phrases, timed in seconds since the Space started, so a phrase maps straight to the
stored transcript's offsets. Phrases go to the process's ONE `Transcriber` with the Space's id as their key. Each
caption is published to the `CaptionFeed` (the listen page and the Stage chat's message read it) and stored as a
transcript `Phrase` — unless its speaker opted out of recording: their words show live, never in the transcript.

Discord sends nothing while a member is silent, so a speaker with an open phrase and no frame this tick is given
a frame of silence: that silence is what ends the phrase.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.audio.rooms import AudioRooms, SpaceAudio, allowed_speakers
from bot.captions.chat import CaptionsChat
from bot.captions.feed import CaptionFeed, CaptionLine
from bot.captions.model import CaptionsModel
from spaces_core.audio import MixedFrame, PcmTap
from spaces_core.audio.format import Pcm, silence
from spaces_core.captions.phrases import PhraseCutter, Utterance
from spaces_core.captions.transcriber import Caption
from spaces_core.domain.space import Space
from spaces_core.domain.transcripts import Phrase
from spaces_core.services.transcripts import TranscriptService

__all__ = ["FINISH_WITHIN_S", "LiveCaptions"]

log = logging.getLogger(__name__)
FINISH_WITHIN_S: Final = 10.0  # how long a Space's end waits for its last phrases to be transcribed and stored
WAITING_PHRASES: Final = 8
LATE_S: Final = 3.0  # a caption later than this after its phrase ended: "captions delayed"
_SILENCE: Final = silence()

NameOf = Callable[[int, int], str]  # (guild id, user id) -> display name
LanguageOf = Callable[[int], Awaitable[str]]  # guild id -> the server's captions language


@dataclass(slots=True)
class _Listening:
    """One Space's captions in this process: its room's tap and speakers' cutters while its audio is received."""

    space: Space
    language: str
    room: SpaceAudio | None = None
    tap: PcmTap | None = None
    zero: float = 0.0  # the loop's time at the Space's start
    cutters: dict[int, PhraseCutter] = field(default_factory=dict)
    private: set[tuple[int, float]] = field(default_factory=set)  # (speaker, start) said while opted out
    storing: set[asyncio.Task[None]] = field(default_factory=set)
    # Phrases cut before the model is loaded (a restart), submitted once it is; the oldest go first if it is slow.
    waiting: deque[Utterance] = field(default_factory=lambda: deque(maxlen=WAITING_PHRASES))


class LiveCaptions:
    def __init__(
        self,
        model: CaptionsModel,
        rooms: AudioRooms,
        feed: CaptionFeed,
        chat: CaptionsChat,
        transcripts: TranscriptService,
        *,
        name_of: NameOf,
        language_of: LanguageOf,
        redraw: Callable[[Space], None],
    ) -> None:
        self._model, self._rooms, self._chat, self._transcripts = model, rooms, chat, transcripts
        self.feed = feed  # public: the listen page reads the live lines
        self._name_of, self._language_of, self._redraw = name_of, language_of, redraw
        self._on: dict[str, _Listening] = {}
        # Spaces whose captions went off or ended, while their last phrases are waited for.
        self._closing: dict[str, asyncio.Task[None]] = {}
        self._ending: dict[str, _Listening] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()  # one change of captions state at a time
        model.on_caption = self._caption

    # Lifecycle

    def start(self) -> None:
        self._chat.start()

    async def stop(self) -> None:
        for task in [*self._tasks, *self._closing.values()]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._closing.values(), return_exceptions=True)
        # Captions already in hand are stored before the store closes; what is still being decoded is lost.
        storing = [task for listening in self._on.values() for task in listening.storing]
        await asyncio.gather(*storing, return_exceptions=True)
        await self._chat.stop()
        await self._model.close()

    def room_opened(self, room: SpaceAudio) -> None:
        """A Space's audio is received (after a restart, or captions were turned on just before its Stage was
        joined): captions that are on follow it."""
        if room.space.captions or room.space.id in self._on:
            self._spawn(self._resume(room.space))

    def room_closing(self, space_id: str) -> None:
        """Its audio stops here (the Space ended, or the bot stops): the open phrases are cut now."""
        listening = self._on.get(space_id)
        if listening is not None and listening.room is not None:
            self._detach(listening)

    async def why_unavailable(self, space: Space) -> str | None:
        """Why captions can't run in this Space on this bot (the model, the server's language), or None; the
        first call loads the model."""
        why = await self._model.ready()
        if why is not None:
            return f"Captions are unavailable on this bot: {why}."
        language = await self._language_of(space.guild_id)
        english_only = self._model.english_only()
        if english_only is not None and language != "en":
            return (
                f"This server captions in `{language}` (`/server-settings captions_language`), but this bot's speech "
                f"model, {english_only}, knows English only."
            )
        return None

    async def _resume(self, space: Space) -> None:
        # The tap first, so nothing said while the model loads (a second or two after a restart) is lost: its
        # phrases wait for the transcriber. The Space as last committed, if the bus has shown it already.
        known = self._on.get(space.id)
        await self.follow(known.space if known is not None else space)
        await self._model.ready()
        listening = self._on.get(space.id)
        if listening is not None:
            self._submit(listening, [])

    # Following the Space

    async def follow(self, space: Space) -> None:
        """Every committed change of a Space: captions start, stop, or follow who may speak."""
        async with self._lock:
            listening = self._on.get(space.id)
            if space.is_live and space.captions:
                opened = listening is None
                if listening is None:
                    language = await self._language_of(space.guild_id)
                    listening = self._on[space.id] = _Listening(space, language)
                    self.feed.set_on(space.id, True)
                listening.space = space
                self._attach_or_follow(listening)
                if opened:
                    await self._post(space)
            elif listening is not None:
                self._close(listening, ended=not space.is_live)

    async def _post(self, space: Space) -> None:
        try:
            await self._chat.open(space)
        except Exception:  # the captions go on in the feed and the transcript without the chat's message
            log.exception("the captions message of Space %s was not posted", space.id)

    def _attach_or_follow(self, listening: _Listening) -> None:
        room = self._rooms.get(listening.space.id)
        if listening.room is None and room is not None:
            self._attach(listening, room)
        allowed = allowed_speakers(listening.space)
        for speaker in [s for s in listening.cutters if s not in allowed]:
            self._submit(listening, listening.cutters.pop(speaker).flush())  # left the stage or was muted

    def _attach(self, listening: _Listening, room: SpaceAudio) -> None:
        loop = asyncio.get_running_loop()
        started = listening.space.started_at or listening.space.created_at
        listening.zero = loop.time() - max(0.0, (datetime.now(UTC) - started).total_seconds())
        listening.room = room

        def tap(frames: Mapping[int, Pcm], mixed: MixedFrame) -> None:
            self._hear(listening, frames, loop.time() - listening.zero)

        listening.tap = tap
        room.engine.add_tap(tap)
        log.info("captions of Space %s follow its audio (language %s)", listening.space.id, listening.language)

    def _detach(self, listening: _Listening) -> None:
        room, listening.room = listening.room, None
        if room is not None and listening.tap is not None:
            room.engine.remove_tap(listening.tap)
        for cutter in listening.cutters.values():
            self._submit(listening, cutter.flush())
        listening.cutters.clear()

    def _close(self, listening: _Listening, *, ended: bool) -> None:
        space_id = listening.space.id
        del self._on[space_id]
        self._detach(listening)
        self._ending[space_id] = listening
        self._closing[space_id] = asyncio.create_task(self._settle(listening, ended), name=f"captions end {space_id}")

    async def finish(self, space_id: str) -> None:
        """The Space ended: its open phrases are cut, and this returns once every phrase it said is transcribed and
        stored, or after FINISH_WITHIN_S (a backlog must not hold up the recap for long). For the recap."""
        async with self._lock:
            listening = self._on.get(space_id)
            if listening is not None:
                self._close(listening, ended=True)
        closing = self._closing.get(space_id)
        if closing is not None:
            await asyncio.shield(closing)

    async def _settle(self, listening: _Listening, ended: bool) -> None:
        space_id = listening.space.id
        try:
            async with asyncio.timeout(FINISH_WITHIN_S):
                if listening.waiting and await self._model.ready() is None:
                    self._submit(listening, [])
                await self._model.settled(space_id)
                while listening.storing:
                    await asyncio.gather(*listening.storing, return_exceptions=True)
        except TimeoutError:
            log.warning("captions of Space %s: gave up waiting for its last phrases", space_id)
        finally:
            self._closing.pop(space_id, None)
            self._ending.pop(space_id, None)
        if space_id in self._on:
            return  # turned on again meanwhile: the message and the feed are the new run's
        await self._chat.close(listening.space)
        if ended:
            self.feed.forget(space_id)
        else:
            self.feed.set_on(space_id, False)

    # Audio in

    def _hear(self, listening: _Listening, frames: Mapping[int, Pcm], at: float) -> None:
        for speaker, pcm in frames.items():
            cutter = listening.cutters.get(speaker)
            if cutter is None:
                cutter = listening.cutters[speaker] = PhraseCutter(speaker)
            self._submit(listening, cutter.push(pcm, at))
        for speaker, cutter in listening.cutters.items():
            if speaker not in frames and cutter.open:
                self._submit(listening, cutter.push(_SILENCE, at))

    def _submit(self, listening: _Listening, phrases: list[Utterance]) -> None:
        transcriber = self._model.transcriber
        space = listening.space
        for phrase in phrases:
            if phrase.speaker_id in space.recording_opt_outs:
                listening.private.add((phrase.speaker_id, phrase.start))
        if transcriber is None:
            listening.waiting.extend(phrases)
            return
        phrases = [*listening.waiting, *phrases]
        listening.waiting.clear()
        for phrase in phrases:
            dropped = transcriber.submit(phrase, listening.language, key=space.id)
            if dropped is not None:
                self._set_delayed(dropped, True)
        if phrases and transcriber.pending >= transcriber.max_pending:
            self._set_delayed(space.id, True)

    # Captions out

    def _caption(self, caption: Caption) -> None:
        listening = self._on.get(caption.key) or self._ending.get(caption.key)
        if listening is None:
            return
        space = listening.space
        self._set_delayed(space.id, caption.latency_s > LATE_S)
        # Also while its end waits for the last phrases: the message's final edit shows them.
        name = self._name_of(space.guild_id, caption.speaker_id)
        self.feed.publish(space.id, CaptionLine(caption.speaker_id, name, caption.start, caption.end, caption.text))
        self._chat.mark(space.id)
        private = (caption.speaker_id, caption.start) in listening.private
        listening.private.discard((caption.speaker_id, caption.start))
        if private or caption.speaker_id in space.recording_opt_outs:
            return  # shown live, never stored (README: privacy)
        phrase = Phrase(
            space.id,
            caption.speaker_id,
            timedelta(seconds=max(0.0, caption.start)),
            timedelta(seconds=max(0.0, caption.start, caption.end)),
            caption.text,
            listening.language,
        )
        task = asyncio.create_task(self._store(phrase), name=f"caption stored {space.id}")
        listening.storing.add(task)
        task.add_done_callback(listening.storing.discard)

    async def _store(self, phrase: Phrase) -> None:
        try:
            await self._transcripts.add([phrase])
        except Exception:
            log.exception("a caption of Space %s was not stored", phrase.space_id)

    def _set_delayed(self, space_id: str, delayed: bool) -> None:
        listening = self._on.get(space_id)
        if listening is None or self.feed.state(space_id).delayed == delayed:
            return
        self.feed.set_delayed(space_id, delayed)
        self._chat.mark(space_id)
        self._redraw(listening.space)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("live captions: resuming failed")

        task = asyncio.create_task(run(), name="captions resume")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
