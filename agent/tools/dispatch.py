"""Carries out the model's tool calls against the workspace and the test runner.

Every answer is text for the model. Mistakes the model can fix (bad path, bad regex, rejected
hunk) come back as text starting with "Error:"; they never end the run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agent.core.conversation import ToolCall
from agent.errors import ToolError


def abridge(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ToolBox:
    def __init__(self, workspace, tests, emit: Callable[..., Any], *, repo_map=None, syntax_check: bool = True,
                 extensions=None):
        self.extensions = extensions  # agent.extensions.Extensions: mcp__* tools and hooks around every call
        self.workspace = workspace
        self.tests = tests
        self.emit = emit
        self.repo_map = repo_map
        self.syntax_check = syntax_check
        self.files_touched: list[str] = []  # read or edited: focus for the repo map

    def call(self, call: ToolCall) -> str:
        """Run one read/edit/test tool call and return its output for the model."""
        try:
            args = call.args()
        except ValueError as exc:
            args, output, ok = {}, f"Error: {exc}", False
        else:
            self.emit("tool_called", name=call.name, arguments=abridge(args))
            ext = self.extensions
            refusal = ext.before_tool(call.name, args) if ext else None  # pre_tool hooks
            if refusal:
                output, ok = f"Error: {refusal}", False
            else:
                output, ok = self._dispatch(call.name, args)
                if ext:
                    output = ext.after_tool(call.name, args, output, ok)  # post_tool hooks
        self.emit("tool_result", name=call.name, ok=ok, summary=abridge(output.splitlines()[0] if output else ""))
        return output

    def _dispatch(self, name: str, args: dict[str, Any]) -> tuple[str, bool]:
        if self.extensions and self.extensions.handles(name):
            return self.extensions.call_tool(name, args)
        handler = getattr(self, f"_tool_{name}", None)
        if handler is None:
            return f"Error: there is no tool named {name!r} in this phase.", False
        try:
            return handler(**args)
        except ToolError as exc:
            return f"Error: {exc}", False
        except TypeError as exc:  # wrong or missing argument names
            return f"Error: bad arguments for {name}: {exc}", False

    def _touch(self, path: str | None) -> None:
        if path and path not in self.files_touched:
            self.files_touched.append(path)

    def _tool_list_files(self, path: str | None = None, pattern: str | None = None):
        return self.workspace.list_files(path, pattern), True

    def _tool_read_file(self, path: str, start_line: int | None = None, end_line: int | None = None):
        self._touch(path)
        return self.workspace.read_file(path, start_line, end_line), True

    def _tool_search_code(self, pattern: str, path: str | None = None):
        return self.workspace.search_code(pattern, path), True

    def _tool_repo_map(self, focus: str | None = None):
        if self.repo_map is None:
            return "The repository map is not available; use list_files and search_code.", False
        result = self.repo_map.render(focus_text=focus or "", focus_files=self.files_touched, budget_tokens=2048)
        return result.text or "(the map is empty)", True

    def _tool_apply_diff(self, diff: str):
        result = self.workspace.apply_diff(diff, syntax_check=self.syntax_check)
        for path in result.changed_paths:
            self._touch(path)
        self.emit("diff_applied", files=list(result.changed_paths), ok=result.ok,
                  summary=abridge(result.render().splitlines()[0] if result.render() else ""))
        return result.render(), result.ok

    def _tool_run_tests(self, args: str | None = None):
        result = self.tests.run(args)
        self.emit("tests_run", **tests_event(result), full=False)
        return tests_text(result), result.passed


def tests_event(result) -> dict[str, Any]:
    """The fields of a tests_run event (the full output stays out of the event stream)."""
    return {
        "command": result.command,
        "passed": result.passed,
        "exit_code": result.exit_code,
        "duration": round(result.duration, 3),
        "counts": result.counts,
        "summary": result.summary(),
        "report": abridge(result.report, 4000),
        "timed_out": result.timed_out,
        "failing": None if result.failing is None else result.failing[:50],
    }


def tests_text(result) -> str:
    """What the model is told about a test run."""
    head = f"Tests {'passed' if result.passed else 'FAILED'}: {result.summary()}"
    if result.command:
        head += f"\n$ {result.command}"
    return head if result.passed else f"{head}\n\n{result.report}"
