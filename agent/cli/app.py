"""The `agent` command: parses arguments, wires the pieces together, renders. No logic lives here.

Heavy modules (rich, openai, tree-sitter, git) are imported inside the commands that need them,
so `agent --help` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from agent import __version__
from agent.cli.safe import neutralise
from agent.errors import AgentError

app = typer.Typer(
    help="An autonomous coding agent: plans, edits in an isolated git worktree, tests, fixes, and asks before it commits.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},  # subcommands inherit it
)
patch_app = typer.Typer(help="Apply (possibly sloppy) unified diffs.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(patch_app, name="patch")


def _version(value: bool) -> None:
    if value:
        print(f"agent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    pass


# ------------------------------------------------------------------------------------------- run


def _run_options(
    max_steps, max_turns, max_attempts, max_cost, max_tokens, model, api, base_url, test_command, test_timeout, no_syntax_check,
    test_strategy=None,
) -> dict:
    return {
        "max_steps": max_steps, "max_turns": max_turns, "max_attempts": max_attempts, "max_cost": max_cost, "max_tokens": max_tokens,
        "model": model, "api": api, "base_url": base_url, "test_command": test_command, "test_timeout": test_timeout,
        "syntax_check": False if no_syntax_check else None, "test_strategy": test_strategy,
    }


YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Approve the plan and every passing step (CI).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON event per line on stdout; the last is the result.")]
MaxStepsOpt = Annotated[int | None, typer.Option("--max-steps", help="At most this many plan steps (default 20); a longer plan is sent back to the model.")]
MaxTurnsOpt = Annotated[int | None, typer.Option("--max-turns", help="Model turns per step attempt (and for planning), default 40; the model is told to finish 2 turns before.")]
DocJsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document (indented) on stdout instead of text.")]
MaxAttemptsOpt = Annotated[int | None, typer.Option("--max-attempts", help="Tries per step at passing the tests, the first included (default 3).")]
MaxCostOpt = Annotated[float | None, typer.Option("--max-cost", help="Stop (exit 5) before spending more than this many USD.")]
MaxTokensOpt = Annotated[int | None, typer.Option("--max-tokens", help="Stop (exit 5) before using more tokens than this.")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name (all tiers, unless config says otherwise).")]
ApiOpt = Annotated[str | None, typer.Option("--api", help="responses (OpenAI) or chat (Chat Completions servers).")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1.")]
TestCmdOpt = Annotated[str | None, typer.Option("--test-command", help="Shell command that runs the tests.")]
TestTimeoutOpt = Annotated[float | None, typer.Option("--test-timeout", help="Seconds before a test run is killed.")]
TestStrategyOpt = Annotated[str | None, typer.Option(
    "--test-strategy", help="affected-first (default): the tests the change affects first, then the full suite; full: only the full suite.")]
NoSyntaxOpt = Annotated[bool, typer.Option("--no-syntax-check", help="Don't refuse edits that break the syntax.")]
SandboxOpt = Annotated[str | None, typer.Option("--sandbox", help="auto | bwrap | off: how test runs are contained (default auto: bubblewrap).")]


@app.command()
def run(
    intent: Annotated[str, typer.Argument(help="What you want done, in plain words.")],
    yes: YesOpt = False,
    json_out: JsonOpt = False,
    max_steps: MaxStepsOpt = None,
    max_turns: MaxTurnsOpt = None,
    max_attempts: MaxAttemptsOpt = None,
    max_cost: MaxCostOpt = None,
    max_tokens: MaxTokensOpt = None,
    model: ModelOpt = None,
    api: ApiOpt = None,
    base_url: BaseUrlOpt = None,
    test_command: TestCmdOpt = None,
    test_timeout: TestTimeoutOpt = None,
    test_strategy: TestStrategyOpt = None,
    no_syntax_check: NoSyntaxOpt = False,
    keep_failed: Annotated[bool, typer.Option("--keep-failed", help="Keep a failing step's changes in the worktree (default: reverted; a session with no commits leaves no worktree or branch).")] = False,
    background: Annotated[bool, typer.Option("--background", "-d", help="Run detached; print the session id at once (approve with `agent approve`).")] = False,
    output_patch: Annotated[Path | None, typer.Option("--output-patch", help="Write the session's combined diff to FILE when it ends.")] = None,
    trust_repo_config: Annotated[bool, typer.Option("--trust-repo-config", help="Use the repository's settings that run commands or direct credentials without asking (also AGENT_TRUST_REPO_CONFIG=1).")] = False,
    sandbox: SandboxOpt = None,
) -> None:
    """Plan and carry out INTENT in a new worktree and branch, asking before each commit."""
    from agent.cli import errors

    errors.known["intent"] = intent  # for the result object of a run that ends before a session
    from agent.cli.trust_prompt import settle_trust
    from agent.config import load_config
    from agent.sandbox import check_available
    from agent.workspace import Repo

    repo = Repo.find(Path.cwd())
    overrides = _run_options(max_steps, max_turns, max_attempts, max_cost, max_tokens, model, api, base_url,
                             test_command, test_timeout, no_syntax_check, test_strategy)
    overrides["keep_failed"] = keep_failed or None
    config = load_config(repo.root, overrides, trust_repo=True if trust_repo_config else None)
    config = settle_trust(config, yes=yes, reload=lambda trusted: load_config(repo.root, overrides, trust_repo=trusted))
    if sandbox is not None:
        config.sandbox = {**config.sandbox, "mode": sandbox}
    check_available(config)  # no sandbox here: one line and exit 2, before any session exists
    if background:
        from agent.sessions.background import launch_cli

        raise typer.Exit(launch_cli(intent, repo, config, yes=yes, json_out=json_out, output_patch=output_patch))
    raise typer.Exit(_execute(intent, repo, config, yes=yes, json_out=json_out, output_patch=output_patch))


def _execute(intent: str, repo, config, *, yes: bool, json_out: bool, build_model=None, output_patch=None,
             keeps_repo: bool = True) -> int:
    """Run a new session with the terminal UI and/or JSON stream; returns the exit code."""
    from agent.core.driver import new_session_id, run_session
    from agent.sessions import SessionStore

    session_id = new_session_id()
    store = SessionStore(repo.git_common_dir)

    def go(events, approver, model):
        return run_session(intent, repo=repo, config=config, approver=approver, events=events, model=model,
                           session_id=session_id, cwd=Path.cwd())

    from agent.cli.wiring import run_wired

    return run_wired(go, repo=repo, store=store, session_id=session_id, config=config, yes=yes, json_out=json_out,
                     output_patch=output_patch, build_model=build_model, meta={"intent": intent, "repo": str(repo.root)},
                     keeps_repo=keeps_repo)


@app.command()
def demo(
    yes: YesOpt = False,
    json_out: JsonOpt = False,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo repository afterwards.")] = False,
) -> None:
    """Run the whole loop on a sample repository with a scripted model (offline, no key)."""
    from agent.cli.demo import demo_session
    from agent.cli.wiring import refuse_without_terminal

    refuse_without_terminal(yes, background=False)
    with demo_session(keep=keep) as (repo, config, build_model):
        code = _execute("Migrate password hashing in auth.py from MD5 to argon2", repo, config, yes=yes,
                        json_out=json_out, build_model=build_model, keeps_repo=keep)
    raise typer.Exit(code)


# ---------------------------------------------------------------------------- branch commands


@app.command()
def apply(
    session: Annotated[str | None, typer.Argument(help="Session id (prefix); default: the newest.")] = None,
    allow_hook_changes: Annotated[bool, typer.Option("--allow-hook-changes", help="Merge even if the branch changes git hooks, executable bits or .gitattributes drivers (listed first).")] = False,
) -> None:
    """Merge a session's branch into your current branch."""
    from agent.cli.trust_prompt import confirm_hook_changes
    from agent.sessions import SessionStore
    from agent.workspace import Repo
    from agent.workspace.hookcheck import hook_changes

    repo = Repo.find(Path.cwd())
    meta = SessionStore(repo.git_common_dir).find(session)
    if not meta.get("branch"):
        raise AgentError(f"session {meta['id']} has no branch")
    if repo.branch_exists(meta["branch"]):
        changes = hook_changes(repo.root, "HEAD", f"refs/heads/{meta['branch']}")
        confirm_hook_changes(meta["branch"], changes, allow=allow_hook_changes)
    outcome = repo.apply_branch(meta["branch"])
    if outcome["commits"] == 0:  # applied before, or nothing was ever committed on it
        print(f"nothing to merge: {outcome['into']} already has every commit of {meta['branch']}; "
              f"HEAD {outcome['head'][:8]} (`agent discard {meta['id']}` removes the branch)")
        return
    how = "fast-forward" if outcome.get("fast_forward") else "merge commit"
    print(f"merged {meta['branch']} into {outcome['into']} ({outcome['commits']} commit(s), {how}); HEAD {outcome['head'][:8]}")


@app.command()
def discard(session: Annotated[str | None, typer.Argument(help="Session id (prefix); default: the newest.")] = None) -> None:
    """Remove a session's worktree and branch."""
    from agent.sessions import SessionStore
    from agent.workspace import Repo

    repo = Repo.find(Path.cwd())
    store = SessionStore(repo.git_common_dir)
    meta = store.find(session)
    if meta.get("worktree") or meta.get("branch"):
        repo.remove_worktree(Path(meta["worktree"]) if meta.get("worktree") else None, meta.get("branch"))
    store.write_meta(meta["id"], discarded=True)
    print(f"discarded session {meta['id']} (branch {meta.get('branch') or '-'})")


# ------------------------------------------------------------------------------ other tools


@patch_app.command("apply")
def patch_apply(
    patch_file: Annotated[str, typer.Argument(help="The diff file, or - for standard input.")],
    root: Annotated[Path, typer.Option("--root", help="Directory the paths are relative to.")] = Path("."),
    check: Annotated[bool, typer.Option("--check", help="Only say whether it would apply; change nothing.")] = False,
    json_out: DocJsonOpt = False,
    no_syntax_check: NoSyntaxOpt = False,
    max_diff_mb: Annotated[float, typer.Option("--max-diff-mb", help="Refuse diffs larger than this.")] = 8.0,
) -> None:
    """Apply a diff (unified, apply_patch envelope or SEARCH/REPLACE blocks) to a directory: all or nothing."""
    from agent.patch import apply_patch

    text = _read_text(None if patch_file == "-" else Path(patch_file))
    if not root.is_dir():
        raise AgentError(f"--root {root}: not a directory")
    result = apply_patch(root, text, check=check, syntax_check=not no_syntax_check,
                         max_bytes=int(max_diff_mb * 1024 * 1024))
    print(json.dumps(result.to_dict(), indent=2) if json_out else neutralise(result.render()))
    raise typer.Exit(0 if result.ok else 1)


@app.command("map")
def map_(
    path: Annotated[Path, typer.Argument(help="Repository directory.")] = Path("."),
    budget: Annotated[int, typer.Option("--budget", help="Token budget for the map.")] = 2048,
    focus: Annotated[str, typer.Option("--focus", help="Words, names or paths to rank first.")] = "",
    json_out: DocJsonOpt = False,
) -> None:
    """Print the ranked repository map the model is given."""
    from agent.errors import UsageError
    from agent.repomap import RepoMap

    if budget < 1:
        raise UsageError(f"--budget {budget}: must be an integer >= 1 (tokens)")
    if not path.is_dir():
        raise UsageError(f"{path}: {'not a directory' if path.exists() else 'no such directory'}; "
                         "agent map takes a repository directory")
    result = RepoMap(path.resolve()).render(focus_text=focus, focus_files=(), budget_tokens=budget)
    print(json.dumps(result.to_dict(), indent=2) if json_out else neutralise(result.text))


def _config_here(overrides: dict | None = None):
    """Config for commands that may run outside a repository (models, doctor)."""
    from agent.cli.trust_prompt import note_ignored
    from agent.config import load_config
    from agent.errors import RepoError
    from agent.workspace import Repo

    try:
        root = Repo.find(Path.cwd()).root
    except RepoError:
        root = Path.cwd()
    return note_ignored(load_config(root, overrides))


@app.command()
def models(
    json_out: DocJsonOpt = False,
    model: ModelOpt = None,
    api: ApiOpt = None,
    base_url: BaseUrlOpt = None,
) -> None:
    """Show the resolved model tiers (instant, thinking, pro), their roles, efforts and prices."""
    from agent.model import describe_tiers

    rows = describe_tiers(_config_here({"model": model, "api": api, "base_url": base_url}))
    if json_out:
        print(json.dumps(rows, indent=2))
        return
    from agent.cli import ui

    ui.render_tiers(ui.make_console(), rows)


@app.command()
def doctor(
    json_out: DocJsonOpt = False,
    model: ModelOpt = None,
    api: ApiOpt = None,
    base_url: BaseUrlOpt = None,
) -> None:
    """Check each model tier (configured, reachable, authenticated, able to call tools) and each MCP server."""
    from agent.model import doctor as check
    from agent.sandbox import doctor_line

    config = _config_here({"model": model, "api": api, "base_url": base_url})
    rows = [*check(config), doctor_line(config)]
    if config.mcp_servers or config.ignored_settings:
        from agent.extensions import doctor_rows

        rows += doctor_rows(config, cwd=Path.cwd())  # each MCP server and its tools
    if json_out:
        print(json.dumps(rows, indent=2))
    else:
        from agent.cli import ui

        ui.render_doctor(ui.make_console(), rows)
    raise typer.Exit(0 if all(r["ok"] for r in rows) else 1)


def _read_text(path: Path | None) -> str:
    """A UTF-8 file (or standard input for None); anything else is one line, exit 2."""
    from agent.errors import UsageError

    name = "standard input" if path is None else str(path)
    try:
        data = sys.stdin.buffer.read() if path is None else path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{name}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name}: not UTF-8 text (byte {exc.start}); convert the diff to UTF-8 first") from None


from agent.cli.sessions import register as _register_sessions  # noqa: E402 - after the core commands, for --help's order

_register_sessions(app)


def _whole_short_help(typer_app: typer.Typer) -> None:
    """`agent --help` lists each command with its whole first sentence (wrapped), not cut with
    "…" at the terminal's width, as click does to a summary it makes itself."""
    import inspect

    for info in typer_app.registered_commands:
        doc = info.help or inspect.getdoc(info.callback) or ""
        if info.short_help is None and doc:
            info.short_help = " ".join(doc.split("\n\n")[0].split())
    for group in typer_app.registered_groups:
        _whole_short_help(group.typer_instance)


_whole_short_help(app)


def main() -> None:
    """The console script. Errors become one line on stderr and their exit code; with --json, also
    a final JSON object on stdout (for `run`, `resume` and `demo` the result object), whatever
    ended the command: a bad flag, bad config, not a repository."""
    from agent.cli.errors import click_exceptions, known, report_error

    args = sys.argv[1:]
    click_error, abort = click_exceptions()
    try:
        code = app(args=args, prog_name="agent", standalone_mode=False)
        if code == 130 and "result" not in known:  # Ctrl-C before a session (typer turns it into 130)
            print("agent: interrupted", file=sys.stderr)
            report_error(args, "interrupted", "interrupted", 130)
    except click_error as exc:  # bad flags and arguments, as click words them
        exc.show()
        code = report_error(args, exc.format_message(), "usage_error", exc.exit_code)
    except abort:
        code = report_error(args, "interrupted", "interrupted", 130)
    except AgentError as exc:
        if os.environ.get("AGENT_DEBUG"):
            raise
        print(f"agent: error: {neutralise(exc)}", file=sys.stderr)  # may quote the model
        code = report_error(args, str(exc), exc.status, exc.exit_code)
    except KeyboardInterrupt:
        print("agent: interrupted", file=sys.stderr)
        code = report_error(args, "interrupted", "interrupted", 130)
    sys.exit(code if isinstance(code, int) else 0)
