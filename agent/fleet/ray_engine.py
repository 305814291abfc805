"""The Ray executor: each task a Ray task (`pip install -e '.[ray]'`; ray is imported here only).

Ray retries a task whose worker or node was lost (max_retries); a task that failed for its own
reasons returns its result line and is never retried (retry_exceptions=False; run_task does not
raise for a failing session). Model keys reach workers only through the job's runtime_env, copied
from the driver's environment by NAME; no task payload carries one. A small actor (no CPU) holds
the fleet's stop flag and the running tasks' cost so far, for the one budget.
"""

from __future__ import annotations

import os
import time
from typing import Any

from agent.errors import UsageError
from agent.fleet.worker import blank_line, run_task

MAX_RETRIES = 3  # a lost worker's task runs again up to this many times
OBJECT_STORE_BYTES = 200 * 1024 * 1024  # a local instance started by us: results are small
DEFAULT_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT")


def forwarded_env(names: list[str]) -> dict[str, str]:
    """The variables workers get: the named ones and AGENT_*, from the driver's environment."""
    wanted = {*DEFAULT_ENV, *names, *(k for k in os.environ if k.startswith("AGENT_"))}
    return {k: os.environ[k] for k in sorted(wanted) if k in os.environ}


def _ray():
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs Ray", hint="pip install -e '.[ray]' in the agent checkout") from None
    return ray


def _remote_parts(ray):
    @ray.remote(num_cpus=0)
    class FleetControl:
        def __init__(self):
            self.stop, self.costs = False, {}

        def report(self, n, cost, tokens):
            self.costs[n] = (cost, tokens)

        def live(self):
            return self.costs

        def stop_all(self):
            self.stop = True

        def stopped(self):
            return self.stop

    @ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False)
    def fleet_task(task, opts, control):
        last = {"at": 0.0, "stop": False}

        def should_stop():
            if time.monotonic() - last["at"] > 1.0:
                last["at"], last["stop"] = time.monotonic(), ray.get(control.stopped.remote())
            return last["stop"]

        line = run_task(task, opts, should_stop=should_stop,
                        report=lambda cost, tokens: control.report.remote(task["task"], cost, tokens))
        line["worker"]["node"] = ray.get_runtime_context().get_node_id()
        return line

    return FleetControl, fleet_task


class RayEngine:
    name = "ray"

    def __init__(self, address: str | None, jobs: int | None, env_names: list[str]):
        ray = self.ray = _ray()
        kwargs: dict[str, Any] = {"runtime_env": {"env_vars": forwarded_env(env_names)},
                                  "log_to_driver": False, "configure_logging": False}
        if not address and not os.environ.get("RAY_ADDRESS"):  # a local instance, sized for this machine
            kwargs.update(num_cpus=jobs or os.cpu_count() or 1, object_store_memory=OBJECT_STORE_BYTES,
                          include_dashboard=False)
        try:
            ray.init(address=address or None, **kwargs)
        except (ConnectionError, RuntimeError) as exc:  # a wrong address, a cluster that is down
            raise UsageError(f"--engine ray: cannot reach the Ray cluster{' at ' + address if address else ''}: "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                             hint="start one with `ray start --head` (docs/fleets.md)") from None
        control_cls, self._fleet_task = _remote_parts(ray)
        # The control actor (live costs, the stop flag) lives on the driver's own node: a worker
        # node lost mid-fleet must not take the fleet's bookkeeping with it (it did, and the
        # driver crashed with ActorUnavailableError); if the driver's node goes, so does the driver.
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
        self._control = control_cls.options(scheduling_strategy=here).remote()
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.capacity = max(1, min(jobs, cpus) if jobs else cpus)
        self._running: dict[Any, dict[str, Any]] = {}

    def start(self, task: dict[str, Any], opts: dict[str, Any]) -> None:
        ref = self._fleet_task.remote(task, {**opts, "always_clone": True}, self._control)
        self._running[ref] = task

    def running(self) -> list[int]:
        return sorted(t["task"] for t in self._running.values())

    def live(self) -> dict[int, tuple[float, int]]:
        costs = self.ray.get(self._control.live.remote())
        running = set(self.running())
        return {n: tuple(v) for n, v in costs.items() if n in running}

    def finished(self, wait: float) -> list[dict[str, Any]]:
        if not self._running:
            return []
        ready, _ = self.ray.wait(list(self._running), num_returns=len(self._running), timeout=wait)
        done = []
        for ref in ready:
            task = self._running.pop(ref)
            try:
                done.append(self.ray.get(ref))
            except Exception as exc:  # noqa: BLE001 - lost past its retries, or our bug: that task's error
                done.append({**blank_line(task), "message": f"the Ray task failed: {type(exc).__name__}: "
                                                            f"{str(exc).splitlines()[0] if str(exc) else ''}"})
        return done

    def stop_all(self) -> None:
        self.ray.get(self._control.stop_all.remote())

    def close(self) -> None:
        self.ray.shutdown()
