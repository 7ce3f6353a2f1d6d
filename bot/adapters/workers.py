"""Worker processes for CPU-heavy jobs (parsing feeds), with a deadline per job.

A job that passes its deadline has its process killed and replaced; the job fails with
:class:`JobTimedOut` and no other job notices. A job that has run for a while
(:data:`SLOW_AFTER_SECONDS`) no longer counts against the pool's size, so a stuck one does
not hold up the jobs behind it: another process is started for them, up to
:data:`EXTRA_WORKERS` beyond the size. :meth:`WorkerPool.stop` kills every process at once
(:meth:`WorkerPool.stop_after` gives the jobs under way a moment first), so a stuck job
never holds up the bot's exit.

``concurrent.futures.ProcessPoolExecutor`` offers neither: a job cannot be stopped, killing
its process breaks the whole pool (every other job fails), and at exit the interpreter
waits for running jobs to end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

__all__ = ["JobFailed", "JobTimedOut", "PoolStopped", "WorkerDied", "WorkerPool"]

log = logging.getLogger(__name__)

T = TypeVar("T")

SLOW_AFTER_SECONDS = 1.0  # a job running this long no longer counts against the pool's size
EXTRA_WORKERS = 4  # processes that may be started beyond the size, for jobs behind slow ones


class JobFailed(Exception):
    """A job could not be done; the message says why."""


class JobTimedOut(JobFailed):
    """The job ran past its deadline; its process was killed."""


class WorkerDied(JobFailed):
    """The job's process ended before answering (out of memory, say)."""


class PoolStopped(JobFailed):
    """The pool was stopped (the bot is stopping) before the job was done."""


def _exit_with_parent(parent: int) -> None:
    """In a worker: exit as soon as the bot is gone, also when it was killed (SIGKILL gives
    it no chance to stop its workers) while this worker is busy."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _serve(connection: Connection, parent: int) -> None:
    """A worker's life: run each (function, arguments) received, send back what came of it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the bot stops us
    _exit_with_parent(parent)
    while True:
        try:
            function, arguments = connection.recv()
        except (EOFError, OSError):
            return  # the bot closed its end
        try:
            reply: tuple[bool, Any] = (True, function(*arguments))
        except Exception:
            reply = (False, traceback.format_exc())
        try:
            connection.send(reply)
        except (EOFError, OSError):
            return
        except Exception:  # the result could not be pickled
            connection.send((False, traceback.format_exc()))


@dataclass(eq=False, slots=True)
class _Worker:
    process: BaseProcess
    connection: Connection
    started: float | None = None  # when its current job began; None while idle

    def exchange(self, function: Callable[..., Any], arguments: tuple[Any, ...]) -> tuple[bool, Any]:
        """In a thread: hand the job over and wait for the answer (EOFError if it dies)."""
        self.connection.send((function, arguments))
        reply: tuple[bool, Any] = self.connection.recv()
        return reply


@dataclass(slots=True)
class _State:
    workers: set[_Worker] = field(default_factory=set)
    idle: list[_Worker] = field(default_factory=list)
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)
    stopped: bool = False


class WorkerPool:
    """Runs module-level functions in up to *size* worker processes (more behind slow jobs,
    see the module docstring), each job within *deadline* seconds. Processes are started
    when first needed."""

    def __init__(self, size: int, *, deadline: float) -> None:
        self._size = max(1, size)
        self._limit = self._size + EXTRA_WORKERS
        self._deadline = deadline
        self._context = multiprocessing.get_context("spawn")
        # One thread per busy worker waits for its answer, off the event loop.
        self._threads = concurrent.futures.ThreadPoolExecutor(self._limit, thread_name_prefix="worker-wait")
        self._state = _State()

    @property
    def processes(self) -> int:
        """How many worker processes are alive now."""
        return len(self._state.workers)

    async def run(self, function: Callable[..., T], *arguments: Any) -> T:
        """Run ``function(*arguments)`` in a worker; raise :class:`JobFailed` (a subclass
        says why) when it raises, passes the deadline, dies or the pool stops."""
        worker = await self._acquire()
        worker.started = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            ok, value = await asyncio.wait_for(
                loop.run_in_executor(self._threads, worker.exchange, function, arguments), self._deadline
            )
        except TimeoutError:
            self._kill(worker)
            raise JobTimedOut(f"took longer than {self._deadline:g} s") from None
        except (EOFError, OSError):
            self._kill(worker)
            if self._state.stopped:
                raise PoolStopped("the bot is stopping") from None
            raise WorkerDied("the worker process stopped (out of memory?)") from None
        except BaseException:  # cancelled: the worker's answer would come too late for anyone
            self._kill(worker)
            raise
        self._release(worker)
        if not ok:
            raise JobFailed(value)
        return value  # type: ignore[no-any-return]

    async def stop_after(self, grace: float) -> None:
        """Let the jobs under way finish for up to *grace* seconds, then :meth:`stop`."""
        deadline = time.monotonic() + grace
        while any(w.started is not None for w in self._state.workers) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.stop()

    def stop(self) -> None:
        """Kill every worker now; jobs running or waiting fail with :class:`PoolStopped`."""
        state = self._state
        state.stopped = True
        for worker in list(state.workers):
            self._kill(worker)
        while state.waiting:
            waiter = state.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(PoolStopped("the bot is stopping"))
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _acquire(self) -> _Worker:
        state = self._state
        while True:
            if state.stopped:
                raise PoolStopped("the bot is stopping")
            if state.idle:
                return state.idle.pop()
            now = time.monotonic()
            fresh = [
                w.started
                for w in state.workers
                if w.started is not None and now - w.started < SLOW_AFTER_SECONDS
            ]
            room = len(state.workers) < self._limit
            if room and len(fresh) < self._size:
                return self._start()
            # Wait for a worker to come free, or for a busy one to turn slow (then start one).
            waiter = asyncio.get_running_loop().create_future()
            state.waiting.append(waiter)
            timeout = min(fresh) + SLOW_AFTER_SECONDS - now if room and fresh else None
            try:
                await asyncio.wait_for(asyncio.shield(waiter), timeout)
            except TimeoutError:
                pass
            finally:
                with contextlib.suppress(ValueError):
                    state.waiting.remove(waiter)

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, os.getpid()), name="newsbot-worker", daemon=True
        )
        process.start()
        theirs.close()  # only the worker holds its end: its death reads as EOF here
        worker = _Worker(process, ours)
        self._state.workers.add(worker)
        return worker

    def _release(self, worker: _Worker) -> None:
        state = self._state
        worker.started = None
        if state.stopped:
            return
        if len(state.idle) >= self._size and not state.waiting:
            self._retire(worker)  # an extra started behind a slow job: not needed now
            return
        state.idle.append(worker)
        while state.waiting:
            waiter = state.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def _retire(self, worker: _Worker) -> None:
        """End an idle worker: it reads EOF and exits."""
        self._state.workers.discard(worker)
        worker.connection.close()
        self._reap(worker.process)

    def _kill(self, worker: _Worker) -> None:
        state = self._state
        state.workers.discard(worker)
        with contextlib.suppress(ValueError):
            state.idle.remove(worker)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            worker.process.kill()
        with contextlib.suppress(OSError):
            worker.connection.close()
        self._reap(worker.process)
        # A free place in the pool: a job waiting for one may start a worker now.
        while state.waiting:
            waiter = state.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    @staticmethod
    def _reap(process: BaseProcess) -> None:
        """Collect the process's exit status without blocking (no zombie is left behind)."""

        def join() -> None:
            process.join(5)

        threading.Thread(target=join, name="worker-reap", daemon=True).start()
