"""The I/O around a session, shared by `run`, `demo`, `resume` and the background worker: the
terminal UI (on stderr with --json), the JSON stream, the session log, an approver, and the
closing account."""

from __future__ import annotations

import os
import signal
import sys

from agent.errors import NeedsTerminal


def refuse_without_terminal(yes: bool) -> None:
    """Approvals need a terminal (or --yes): say so before anything is spent or created."""
    if not yes and not sys.stdin.isatty():
        raise NeedsTerminal("this run would ask for approvals but stdin is not a terminal",
                            hint="run it in a terminal, pass --yes to approve everything, "
                                 "or use --background and `agent approve`")


def run_wired(go, *, repo, store, session_id: str, config, yes: bool, json_out: bool, output_patch=None,
              build_model=None, meta: dict | None = None, keeps_repo: bool = True) -> int:
    """Wire a session's I/O around `go(events, approver, model) -> RunResult`: the terminal UI (on
    stderr with --json), the JSON stream, the session log, an approver; then reports and the
    closing account. Used by `run`, `demo` and `resume`. `keeps_repo=False` (the demo without
    --keep): the repository goes away next, so the account does not say how to apply the branch."""
    from agent.approval import YesApprover
    from agent.cli import ui
    from agent.events import EventBus, json_lines_sink
    from agent.sessions.report import write_reports
    from agent.sessions.store import meta_sink

    refuse_without_terminal(yes)
    if build_model is None:
        from agent.model import build_model
    console = ui.make_console(stderr=json_out)
    renderer = ui.Renderer(console)
    events = EventBus(renderer)
    if json_out:
        events.subscribe(json_lines_sink(sys.stdout))
    approver = YesApprover() if yes else ui.TerminalApprover(console, renderer)
    model = build_model(config, events.emit, session_id=session_id)  # config errors: one line, nothing created
    if meta:
        store.write_meta(session_id, **meta)
    log = store.open_log(session_id)
    events.subscribe(log)
    events.subscribe(meta_sink(store, session_id))
    signal.signal(signal.SIGTERM, _terminated)
    try:
        result = go(events, approver, model)
    finally:
        renderer.stop_status()
        log.close()
    write_reports(repo.root, result.to_dict(), output_patch=output_patch)  # --output-patch, GITHUB_STEP_SUMMARY
    ui.render_result(console, result.to_dict(), keeps_repo=keeps_repo)
    if result.exception is not None and os.environ.get("AGENT_DEBUG"):
        raise result.exception
    return result.exit_code


def _terminated(signum, frame) -> None:
    """SIGTERM (a cancelled CI job, `kill`) ends a run like Ctrl-C: result written, exit 130."""
    raise KeyboardInterrupt
