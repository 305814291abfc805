"""Carries out the model's tool calls against the workspace and the test runner.

Every answer is text for the model. Mistakes the model can fix (bad arguments, bad path, bad
regex, rejected hunk) come back as text starting with "Error:"; they never end the run. Arguments
are checked against the tool's schema first (agent.tools.validate); an unexpected exception inside
a tool is reported to the model (and as a warning) instead of crashing the session; an answer over
MAX_OUTPUT_CHARS is cut with a note saying how to ask for less.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agent.core.conversation import ToolCall
from agent.errors import AgentError, ToolError
from agent.tools import validate
from agent.tools.specs import ALL_TOOLS

MAX_OUTPUT_CHARS = 120_000  # one tool answer (about 30k tokens)
SPECS = {spec.name: spec for spec in ALL_TOOLS}


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
        return self.run(call)[0]

    def run(self, call: ToolCall) -> tuple[str, bool]:
        """Run one read/edit/test tool call: (output for the model, whether it succeeded)."""
        ext = self.extensions
        if ext and ext.handles(call.name):  # mcp__* tools: their servers check their own schemas
            try:
                args, problem = call.args(), None
            except ValueError as exc:
                args, problem = None, str(exc)
        elif call.name in SPECS and hasattr(self, f"_tool_{call.name}"):
            args, problem = validate.check(SPECS[call.name], call.arguments)
        else:
            return unknown_tool(call.name, self.tool_names()), False
        self.emit("tool_called", name=call.name, arguments=abridge(args if args is not None else call.arguments or ""))
        refusal = ext.before_tool(call.name, args) if ext and args is not None else None  # pre_tool hooks
        if args is None or refusal:
            output, ok = f"Error: {problem or refusal}", False
        else:
            output, ok = self._guarded(call.name, args)
            if ext:
                output = ext.after_tool(call.name, args, output, ok)  # post_tool hooks
        output = cap_output(output)
        self.emit("tool_result", name=call.name, ok=ok, summary=abridge(output.splitlines()[0] if output else ""))
        return output, ok

    def tool_names(self) -> list[str]:
        extra = [t.name for t in self.extensions.tool_specs()] if self.extensions else []
        return [*SPECS, *extra]

    def _guarded(self, name: str, args: dict[str, Any]) -> tuple[str, bool]:
        try:
            if self.extensions and self.extensions.handles(name):
                return self.extensions.call_tool(name, args)
            return getattr(self, f"_tool_{name}")(**args)
        except ToolError as exc:
            return f"Error: {exc}", False
        except (AgentError, KeyboardInterrupt):
            raise  # endings (budget, Ctrl-C, a broken worktree) are not the model's to handle
        except Exception as exc:  # noqa: BLE001 - a tool must never crash the session
            what = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            self.emit("warning", message=f"{name} failed unexpectedly ({what}); the model was told")
            return (f"Error: {name} failed unexpectedly ({what}). Your arguments were well-formed; "
                    "try another way (another file, a narrower range or pattern)."), False

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


def unknown_tool(name: str, names=None) -> str:
    shown = abridge(name, 80)
    return f"Error: there is no tool named {shown!r}; the tools are: {', '.join(sorted(names or SPECS))}."


def cap_output(output: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    if len(output) <= limit:
        return output
    return (output[:limit] + f"\n[output cut: showing {limit:,} of {len(output):,} characters; ask for less: "
            "a line range, a narrower path or a more specific pattern]")


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
        "structured": result.structured,  # False: "no per-test results" (exit code and output only)
        "tests_run": result.tests_run(),
        "collection_errors": result.collection_errors[:50],
        "stopped_early": result.stopped_early,
    }


def tests_text(result) -> str:
    """What the model is told about a test run."""
    head = f"Tests {'passed' if result.passed else 'FAILED'}: {result.summary()}"
    if result.command:
        head += f"\n$ {result.command}"
    return head if result.passed else f"{head}\n\n{result.report}"
