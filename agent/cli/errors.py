"""How a command that ended in an error says so: one line on stderr (printed by the caller) and,
when the command was given --json, a last JSON object on stdout, so CI always has a result."""

from __future__ import annotations

import json
import time

# Commands whose --json output ends with the result object (docs/ci.md).
RESULT_COMMANDS = {"run", "resume", "demo"}
known: dict[str, str] = {}  # what the command line said, once parsed (the intent), for the result


def click_exceptions() -> tuple[type[Exception], type[BaseException]]:
    """click's usage-error base class and typer's Abort (newer typer ships its own click)."""
    import typer

    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # typer with click as a separate package
        from click.exceptions import ClickException
    return ClickException, typer.Abort


def command_of(args: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    for arg in args:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def wants_json(args: list[str]) -> bool:
    return "--json" in args[: args.index("--")] if "--" in args else "--json" in args


def error_object(args: list[str], message: str, status: str, exit_code: int) -> dict:
    """The JSON a --json command ends with when it failed before (or without) a session."""
    if command_of(args) in RESULT_COMMANDS:
        return {"type": "session_finished", "ts": time.time(), "status": status, "exit_code": exit_code,
                "session_id": None, "intent": known.get("intent"), "branch": None, "worktree": None, "base_commit": None,
                "plan": None, "commits": [], "files_changed": [], "tests": None, "usage": {}, "cost": None,
                "duration": 0.0, "message": message}
    return {"status": status, "exit_code": exit_code, "message": message}


def report_error(args: list[str], message: str, status: str, exit_code: int) -> int:
    """Print the error object on stdout when the command was given --json; returns the exit code."""
    if wants_json(args):
        print(json.dumps(error_object(args, message, status, exit_code), ensure_ascii=False), flush=True)
    return exit_code
