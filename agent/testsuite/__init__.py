"""The project's tests: detect the command, run it (sandboxed), read its results, compare to the baseline."""

from agent.testsuite.runner import TestResult, TestRunner

__all__ = ["TestResult", "TestRunner"]
