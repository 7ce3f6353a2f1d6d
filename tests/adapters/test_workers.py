"""Worker processes with a deadline per job: a stuck job is killed, and costs no other job."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from bot.adapters.workers import JobFailed, JobTimedOut, PoolStopped, WorkerDied, WorkerPool

T = TypeVar("T")


# Jobs: module-level, so a spawned worker can import them.
def add(a: int, b: int) -> int:
    return a + b


def spin(pid_file: str) -> None:
    """Never ends (as a parse that went quadratic would not, in practice)."""
    Path(pid_file).write_text(str(os.getpid()))
    while True:
        pass


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def fail() -> None:
    raise ValueError("a broken entry")


def die() -> None:
    os._exit(3)


def run(scenario: Callable[[WorkerPool], Awaitable[T]], *, size: int = 1, deadline: float = 30.0) -> T:
    async def main() -> T:
        pool = WorkerPool(size, deadline=deadline)
        try:
            return await scenario(pool)
        finally:
            pool.stop()

    return asyncio.run(main())


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition was not met in time"
        await asyncio.sleep(0.05)


def test_a_job_runs_in_a_worker_and_its_answer_comes_back():
    async def scenario(pool: WorkerPool) -> list[int]:
        return [await pool.run(add, 2, 3), await pool.run(add, 4, 5)]

    assert run(scenario) == [5, 9]


def test_a_job_that_raises_fails_with_the_reason_and_the_worker_goes_on():
    async def scenario(pool: WorkerPool) -> int:
        with pytest.raises(JobFailed, match="ValueError: a broken entry"):
            await pool.run(fail)
        return await pool.run(add, 1, 1)

    assert run(scenario) == 2


def test_a_job_past_its_deadline_is_killed_and_others_are_not_held_up(tmp_path: Path):
    pid_file = tmp_path / "pid"

    async def scenario(pool: WorkerPool) -> None:
        stuck = asyncio.create_task(pool.run(spin, str(pid_file)))
        await wait_until(pid_file.exists)
        # One worker, busy with a job that never ends: the next jobs get another worker.
        assert await pool.run(add, 1, 2) == 3
        assert await pool.run(add, 3, 4) == 7
        assert not stuck.done(), "the quick jobs were done while the stuck one still ran"
        with pytest.raises(JobTimedOut, match="took longer than 10 s"):
            await stuck
        pid = int(pid_file.read_text())
        await wait_until(lambda: gone(pid))
        assert await pool.run(add, 5, 6) == 11

    run(scenario, deadline=10.0)


def test_stopping_the_pool_ends_a_stuck_job_at_once(tmp_path: Path):
    pid_file = tmp_path / "pid"

    async def scenario(pool: WorkerPool) -> None:
        stuck = asyncio.create_task(pool.run(spin, str(pid_file)))
        await wait_until(pid_file.exists)
        pool.stop()
        with pytest.raises(PoolStopped):
            await asyncio.wait_for(stuck, 10)  # not the hour of the deadline
        await wait_until(lambda: gone(int(pid_file.read_text())))
        with pytest.raises(PoolStopped):
            await pool.run(add, 1, 1)

    run(scenario, deadline=3600.0)


def test_stopping_after_a_grace_lets_quick_jobs_finish_and_ends_stuck_ones(tmp_path: Path):
    pid_file = tmp_path / "pid"

    async def scenario(pool: WorkerPool) -> None:
        stuck = asyncio.create_task(pool.run(spin, str(pid_file)))
        await wait_until(pid_file.exists)
        quick = asyncio.create_task(pool.run(nap, 0.2))
        await pool.stop_after(3.0)
        assert quick.result() == 0.2
        with pytest.raises(PoolStopped):
            await stuck

    run(scenario, size=2, deadline=3600.0)


def test_a_worker_that_dies_fails_its_job_only():
    async def scenario(pool: WorkerPool) -> int:
        with pytest.raises(WorkerDied):
            await pool.run(die)
        return await pool.run(add, 20, 22)

    assert run(scenario) == 42


def test_workers_started_behind_a_slow_job_do_not_stay():
    async def scenario(pool: WorkerPool) -> None:
        slow = asyncio.create_task(pool.run(nap, 3.0))
        await wait_until(lambda: pool.processes == 1)
        assert await pool.run(add, 1, 2) == 3  # in a second worker, as the first is busy
        assert pool.processes == 2
        assert await slow == 3.0
        await wait_until(lambda: pool.processes == 1)
        assert await pool.run(add, 2, 2) == 4

    run(scenario)
