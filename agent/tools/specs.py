"""The function tools the model may call: a public, stable contract (documented in README).

Schemas are strict (every property required, nullable where optional, no extra properties) so
providers that support structured outputs enforce them.
"""

from __future__ import annotations

from agent.core.conversation import ToolSpec


def _obj(**props: dict) -> dict:
    return {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_NINT = {"type": ["integer", "null"]}

LIST_FILES = ToolSpec(
    "list_files",
    "List files under a directory of the repository (tracked and untracked-not-ignored), "
    "optionally filtered by a glob pattern such as '*.py' or 'src/**/test_*.py'.",
    _obj(path={**_NSTR, "description": "directory relative to the repo root; null for the root"},
         pattern={**_NSTR, "description": "glob filter; null for all files"}),
)
READ_FILE = ToolSpec(
    "read_file",
    "Read a text file with line numbers, optionally a range of lines (1-based, inclusive).",
    _obj(path=_STR, start_line=_NINT, end_line=_NINT),
)
SEARCH_CODE = ToolSpec(
    "search_code",
    "Search file contents with a Python regular expression; returns path:line:text matches.",
    _obj(pattern=_STR, path={**_NSTR, "description": "file or directory to search; null for all"}),
)
REPO_MAP = ToolSpec(
    "repo_map",
    "A compact map of the repository (files with their classes, functions and signatures), "
    "ranked by relevance to the focus text.",
    _obj(focus={**_NSTR, "description": "what you are working on: names, paths, words; null for none"}),
)
SUBMIT_PLAN = ToolSpec(
    "submit_plan",
    "Submit the plan: a short summary and ordered steps, each a self-contained change that keeps "
    "the tests passing. Ends the planning phase.",
    _obj(
        summary=_STR,
        steps={
            "type": "array",
            "items": _obj(title=_STR, description=_STR, files={"type": "array", "items": _STR}),
        },
    ),
)
APPLY_DIFF = ToolSpec(
    "apply_diff",
    "Apply an edit to the working tree now, all of it or nothing. Formats: a unified diff (one or "
    "more files; new files from /dev/null, deletions to /dev/null); an apply_patch envelope "
    "(*** Begin Patch, *** Add/Update/Delete File: path, *** Move to:, @@ anchors, *** End of File, "
    "*** End Patch); or SEARCH/REPLACE blocks (the path on its own line, then <<<<<<< SEARCH, the "
    "exact current lines, =======, the new lines, >>>>>>> REPLACE; the search must match once). "
    "The result says per file what was applied or why a hunk was rejected, with the nearest "
    "matching region, so you can correct and retry.",
    _obj(diff=_STR),
)
RUN_TESTS = ToolSpec(
    "run_tests",
    "Run the project's tests, optionally narrowed (e.g. a file or a test id). Returns a concise report.",
    _obj(args={**_NSTR, "description": "extra arguments for the test command; null for the full run"}),
)
FINISH_STEP = ToolSpec(
    "finish_step",
    "Say the current step is done. The tests affected by the change run first, then the full "
    "suite; if they fail you get the failure report and continue the step. A step with no change "
    "is only accepted with no_change_needed true.",
    _obj(summary={**_STR, "description": "one or two sentences: what this step changed"},
         no_change_needed={"type": ["boolean", "null"],
                           "description": "true only when the step needs no change at all; null otherwise"}),
)

READ_TOOLS = [LIST_FILES, READ_FILE, SEARCH_CODE, REPO_MAP]
PLAN_TOOLS = [*READ_TOOLS, SUBMIT_PLAN]
STEP_TOOLS = [*READ_TOOLS, APPLY_DIFF, RUN_TESTS, FINISH_STEP]
ALL_TOOLS = [*READ_TOOLS, SUBMIT_PLAN, APPLY_DIFF, RUN_TESTS, FINISH_STEP]


def offered_tools(extra=(), builtins: list[ToolSpec] | None = None) -> list[ToolSpec]:
    """Every tool offered on every turn: the built-ins in their order (this session's, from
    session_tools), then extension tools (MCP) sorted by name, so the prompt prefix stays the
    same from turn to turn."""
    return [*(ALL_TOOLS if builtins is None else builtins), *sorted(extra, key=lambda t: t.name)]


def run_tests_spec(command: str | None, args_help: str | None, sandboxed: str | None = None) -> ToolSpec:
    """run_tests as this session's model sees it: the resolved command and what args may hold.
    Built once per session (a stable tool list keeps the provider's prompt cache warm)."""
    if not command:
        return RUN_TESTS
    where = " in a sandbox (no network; only the worktree is writable)" if sandboxed == "bwrap" else ""
    text = (f"Run the project's tests: `{command}` in the worktree{where}, optionally narrowed. "
            f"args may hold {args_help or 'test paths inside the repository'}; anything else (other options, "
            "paths outside the repository, shell syntax) is refused. Returns a concise report.")
    return ToolSpec("run_tests", text, _obj(args={**_NSTR, "description": "selectors separated by spaces "
                                                                          "(see above); null for the full run"}))


def session_tools(tests=None) -> list[ToolSpec]:
    """Every tool, with run_tests describing this session's test command."""
    if tests is None or not getattr(tests, "command", None):
        return list(ALL_TOOLS)
    sandbox = getattr(getattr(tests, "sandbox", None), "kind", None)
    spec = run_tests_spec(tests.command, getattr(tests, "args_help", None), sandbox)
    return [spec if t.name == "run_tests" else t for t in ALL_TOOLS]
