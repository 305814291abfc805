"""The local executor: tasks in threads of this process, each one session subprocess (today's pool)."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from agent.fleet.worker import blank_line, run_task


class LocalEngine:
    name = "local"

    def __init__(self, jobs: int):
        self.capacity = jobs
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="fleet-task")
        self._running: dict[int, tuple[Future, dict[str, Any]]] = {}
        self._live: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def start(self, task: dict[str, Any], opts: dict[str, Any]) -> None:
        n = task["task"]

        def report(cost: float, tokens: int) -> None:
            with self._lock:
                self._live[n] = (cost, tokens)

        future = self._pool.submit(run_task, task, opts, should_stop=self._stop.is_set, report=report)
        self._running[n] = (future, task)

    def running(self) -> list[int]:
        return sorted(self._running)

    def live(self) -> dict[int, tuple[float, int]]:
        with self._lock:
            return {n: v for n, v in self._live.items() if n in self._running}

    def finished(self, wait: float) -> list[dict[str, Any]]:
        done = []
        for n, (future, task) in list(self._running.items()):
            try:
                line = future.result(timeout=wait if not done else 0)
            except TimeoutError:
                continue
            except Exception as exc:  # noqa: BLE001 - our own bug in one task must not lose the others' results
                line = {**blank_line(task), "message": f"the task crashed: {exc!r}"}
            del self._running[n]
            done.append(line)
            wait = 0
        return done

    def stop_all(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True)
