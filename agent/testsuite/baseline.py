"""The project's tests as they are before any change, run in the background while the model plans.

Without it, a test that already fails at HEAD would make every step look broken: the model would
burn its attempts on a failure it didn't cause, and the run would end "tests failed". With it, a
step is judged by the failures it adds; failures that were there before are reported, not fixed.
"""

from __future__ import annotations

import threading


class Baseline:
    def __init__(self, runner):
        self._runner = runner
        self._result = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="baseline-tests", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._runner.run(None)
        except BaseException as exc:  # noqa: BLE001 - reported by result()
            self._error = exc

    def result(self):
        """Wait for the run; the TestResult, or None when it could not run."""
        self._thread.join()
        return None if self._error is not None else self._result

    def cancel(self) -> None:
        """Stop a run still in progress (the session ended before it was needed)."""
        if self._thread.is_alive():
            self._runner.cancel()
            self._thread.join(timeout=10)
