"""Messages between bot processes (`shard_mail` rows), and calls to a guild's owner answered by mail.

Most work that must reach a guild's owner is one-way: a batch of committed events (`Batch`). A few actions need the
owner's answer before the caller can reply: **Start now** pressed in the host's DM reaches shard 0's process
(Discord sends DMs there), but only the guild's owner has the guild, its Stage and its audio. That process calls
the owner (`Calls.call`): a `Call` row for the owner's shard, a `Reply` row back to the caller's first shard,
each woken by NOTIFY. The caller waits at most `timeout` seconds; an error raised by the owner is raised to the
caller (its structured message intact when it pickles, else as its sentence). A call that reaches the owner after
its caller gave up (the owner was restarting) is dropped, not run late: the member was already told it failed.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Batch", "Call", "Calls", "Reply"]

log = logging.getLogger(__name__)
Send = Callable[[int, object], Awaitable[None]]  # (shard id, message)
Answer = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Batch:
    aggregate: object
    events: list[object]


@dataclass(frozen=True, slots=True)
class Call:
    call_id: str
    reply_to: int  # a shard of the caller
    name: str
    args: tuple[object, ...]
    deadline: float  # wall clock (time.time()): past it the caller has given up, and the call is dropped


@dataclass(frozen=True, slots=True)
class Reply:
    call_id: str
    value: object = None
    error: BaseException | None = None


class Calls:
    def __init__(self, send: Send, home: int, timeout: float = 30.0) -> None:
        self._send, self._home, self._timeout = send, home, timeout
        self._answers: dict[str, Answer] = {}
        self._waiting: dict[str, asyncio.Future[object]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def answer(self, name: str, handler: Answer) -> None:
        """Run `handler(*args)` for calls named `name` that other processes make to this one."""
        self._answers[name] = handler

    async def call(self, shard_id: int, name: str, *args: object) -> object:
        """`name(*args)` run by the process holding `shard_id`; its result, or its error raised here."""
        call_id = uuid.uuid4().hex
        answer: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = answer
        try:
            await self._send(shard_id, Call(call_id, self._home, name, args, time.time() + self._timeout))
            async with asyncio.timeout(self._timeout):
                return await answer
        except TimeoutError:
            raise TimeoutError(f"shard {shard_id}'s process did not answer {name} within {self._timeout} s") from None
        finally:
            self._waiting.pop(call_id, None)

    def received(self, message: Call | Reply) -> None:
        if isinstance(message, Reply):
            waiting = self._waiting.get(message.call_id)
            if waiting is None or waiting.done():
                return  # the caller gave up (timeout) or is another process sharing our shard before a deploy
            if message.error is not None:
                waiting.set_exception(message.error)
            else:
                waiting.set_result(message.value)
            return
        task = asyncio.create_task(self._run(message), name=f"shard-call-{message.name}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, call: Call) -> None:
        if time.time() > call.deadline:  # left while this process was down: the member was told it failed
            log.warning("call %s from shard %d arrived after its caller gave up; not run", call.name, call.reply_to)
            return
        handler = self._answers.get(call.name)
        try:
            if handler is None:
                raise LookupError(f"this process answers no call named {call.name!r}")
            reply = Reply(call.call_id, value=await handler(*call.args))
        except Exception as error:
            reply = Reply(call.call_id, error=_portable(error))
        try:
            await self._send(call.reply_to, reply)
        except Exception:
            log.exception("could not reply to shard %d's call %s", call.reply_to, call.name)

    async def close(self) -> None:
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(ConnectionError("this process is stopping"))


def _portable(error: Exception) -> BaseException:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(str(error))
    return error
