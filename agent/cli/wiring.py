"""The I/O around a session, shared by `run`, `demo`, `resume` and the background worker: the
terminal UI (on stderr with --json), the JSON stream, the session log, an approver, and the
closing account."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from agent.errors import NeedsTerminal


def refuse_without_terminal(yes: bool, background: bool = True) -> None:
    """Approvals need a terminal (or --yes): say so before anything is spent or created.
    `background`: the command has --background (the demo has not)."""
    if not yes and not sys.stdin.isatty():
        hint = "run it in a terminal, pass --yes to approve everything"
        raise NeedsTerminal("this run would ask for approvals but stdin is not a terminal",
                            hint=hint + (", or use --background and `agent approve`" if background else ""))


def run_wired(go, *, repo, store, session_id: str, config, yes: bool, json_out: bool, output_patch=None,
              build_model=None, meta: dict | None = None, keeps_repo: bool = True) -> int:
    """Wire a session's I/O around `go(events, approver, model) -> RunResult` for a person or a CI
    job: the terminal UI (on stderr with --json), the JSON stream, an approver. Used by `run`,
    `demo` and `resume`. `keeps_repo=False` (the demo without --keep): the repository goes away
    next, so the account does not say how to apply the branch."""
    from agent.approval import YesApprover
    from agent.cli import errors, ui
    from agent.events import EventBus, json_lines_sink

    refuse_without_terminal(yes)
    console = ui.make_console(stderr=json_out)
    renderer = ui.Renderer(console)
    events = EventBus(renderer)
    if json_out:
        events.subscribe(json_lines_sink(sys.stdout))
    approver = YesApprover() if yes else ui.TerminalApprover(console, renderer)
    try:
        result = drive(go, events=events, approver=approver, repo=repo, store=store, session_id=session_id,
                       config=config, output_patch=output_patch, build_model=build_model, meta=meta)
    finally:
        renderer.stop_status()
    errors.known["result"] = result.status  # the result object is out: main() adds none of its own
    ui.render_result(console, result.to_dict(), keeps_repo=keeps_repo)
    if result.exception is not None and os.environ.get("AGENT_DEBUG"):
        raise result.exception
    return result.exit_code


def run_worker(session_id: str) -> int:
    """The detached process of a background session (fresh or resumed): the same drive, with the
    answers coming from `agent approve` in other terminals. Returns the exit code."""
    from agent.approval import YesApprover
    from agent.config import load_config
    from agent.core.driver import continue_session
    from agent.errors import UsageError
    from agent.events import EventBus
    from agent.sessions.background import BackgroundApprover
    from agent.sessions.state import load_state
    from agent.sessions.store import SessionStore
    from agent.workspace import Repo

    repo = Repo.find(Path.cwd())
    store = SessionStore(repo.git_common_dir)
    data = load_state(store.dir(session_id))
    if data is None:
        raise UsageError(f"session {session_id} has no launch record")
    options = data.get("options") or {}
    config = load_config(repo.root, data.get("overrides") or {})
    approver = YesApprover() if options.get("approver") == "yes" else \
        BackgroundApprover(store.dir(session_id), tty=options.get("tty"))
    patch = options.get("output_patch")

    def go(events, approver, model):
        return continue_session(session_id, repo=repo, store=store, config=config, approver=approver, events=events,
                                model=model)

    result = drive(go, events=EventBus(_plain_sink), approver=approver, repo=repo, store=store,
                   session_id=session_id, config=config, output_patch=Path(patch) if patch else None)
    return result.exit_code


def drive(go, *, events, approver, repo, store, session_id: str, config, output_patch=None, build_model=None,
          meta: dict | None = None):
    """The part every way of running a session shares: build the model (a config error is one line
    and nothing is created), the session log and meta, SIGTERM as Ctrl-C, then `go`, then the
    reports (--output-patch, GITHUB_STEP_SUMMARY)."""
    from agent.sessions.report import write_reports
    from agent.sessions.store import meta_sink

    if build_model is None:
        from agent.model import build_model
    model = build_model(config, events.emit, session_id=session_id)
    if meta:
        store.write_meta(session_id, **meta)
    log = store.open_log(session_id)
    events.subscribe(log)
    events.subscribe(meta_sink(store, session_id))
    signal.signal(signal.SIGTERM, _terminated)
    try:
        result = go(events, approver, model)
    finally:
        log.close()
    write_reports(repo.root, result.to_dict(), output_patch=output_patch)
    return result


def _terminated(signum, frame) -> None:
    """SIGTERM (a cancelled CI job, `kill`) ends a run like Ctrl-C: result written, exit 130."""
    raise KeyboardInterrupt


def _plain_sink(event) -> None:
    """worker.log: one line per event, for whoever debugs a worker."""
    print(time.strftime("%H:%M:%S"), event.type, flush=True)
