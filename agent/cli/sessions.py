"""Session commands: sessions, show, resume, log, attach, approve, reject, gc, batch (and _worker).

Registered on the main app by agent.cli.app. Like there, heavy modules (rich, git, openai) are
imported inside the commands, so `agent --help` stays fast.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

SessionArg = Annotated[str, typer.Argument(help="Session id (a unique prefix is enough).")]
OptSessionArg = Annotated[str | None, typer.Argument(help="Session id (prefix); default: the newest.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document (indented) on stdout instead of text.")]
FeedbackOpt = Annotated[str, typer.Option("--feedback", help="What the agent should change (or why you reject).")]


def _store():
    from agent.sessions import SessionStore
    from agent.workspace import Repo

    repo = Repo.find(Path.cwd())
    return repo, SessionStore(repo.git_common_dir)


def _console(stderr: bool = False):
    from agent.cli import ui

    return ui.make_console(stderr=stderr)


def sessions(json_out: JsonOpt = False,
             all_: Annotated[bool, typer.Option("--all", help="Include discarded sessions.")] = False) -> None:
    """List this repository's sessions: id, intent, status, branch, age, cost."""
    from agent.sessions.status import summarize

    _, store = _store()
    infos = [summarize(store, m) for sid in store.ids() if (m := store.meta(sid))]
    infos = [i for i in infos if all_ or not i["discarded"]]
    if json_out:
        keys = ("id", "intent", "status", "state", "branch", "created", "age", "cost", "running")
        print(json.dumps([{k: i[k] for k in keys} for i in infos], indent=2, default=str))
        return
    from agent.cli import ui_sessions

    ui_sessions.render_sessions(_console(), infos)


def show(session: OptSessionArg = None, json_out: JsonOpt = False) -> None:
    """A session's plan, steps with status, commits, test results and usage."""
    from agent.sessions.status import summarize

    _, store = _store()
    info = summarize(store, store.find(session))
    if json_out:
        print(json.dumps(info, indent=2, default=str))
        return
    from agent.cli import ui_sessions

    ui_sessions.render_session(_console(), info)


def resume(
    session: OptSessionArg = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve the plan and every passing step.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="JSON events on stdout; the last is the result.")] = False,
    background: Annotated[bool, typer.Option("--background", "-d", help="Continue detached.")] = False,
    model: Annotated[str | None, typer.Option("--model", help="Override the model it ran with.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Override the endpoint it ran with.")] = None,
    api: Annotated[str | None, typer.Option("--api", help="responses or chat.")] = None,
    test_command: Annotated[str | None, typer.Option("--test-command", help="Override the test command.")] = None,
    max_attempts: Annotated[int | None, typer.Option("--max-attempts", help="Tries per step.")] = None,
    output_patch: Annotated[Path | None, typer.Option("--output-patch", help="Write the combined diff to FILE.")] = None,
) -> None:
    """Continue an interrupted or waiting session where it stopped (same worktree, branch and plan)."""
    from agent.config import load_config
    from agent.sessions.resume import check_resumable
    from agent.sessions.state import write_json_atomic

    repo, store = _store()
    meta = store.find(session)
    sid = meta["id"]
    data = check_resumable(store, meta)
    flags = {"model": model, "base_url": base_url, "api": api, "test_command": test_command,
             "max_attempts": max_attempts}
    data["overrides"] = {**(data.get("overrides") or {}), **{k: v for k, v in flags.items() if v is not None}}
    if background:
        from agent.sessions.background import spawn_worker

        data["options"] = {**(data.get("options") or {}), "approver": "yes" if yes else "background",
                           "output_patch": str(output_patch.resolve()) if output_patch else None}
        write_json_atomic(store.dir(sid) / "state.json", data)
        store.write_meta(sid, background=True, pid=spawn_worker(store.dir(sid), sid, Path(data.get("cwd") or repo.root)))
        print(json.dumps({"session_id": sid, "status": "resumed"}) if json_out else sid, flush=True)
        return
    write_json_atomic(store.dir(sid) / "state.json", data)  # the overrides stick for later resumes
    config = load_config(repo.root, data["overrides"])
    raise typer.Exit(_run_here(sid, repo, store, config, yes=yes, json_out=json_out, output_patch=output_patch))


def _run_here(sid: str, repo, store, config, *, yes: bool, json_out: bool, output_patch: Path | None) -> int:
    """Resume in this process with the terminal UI and/or JSON stream, like `agent run`."""
    from agent.cli.wiring import run_wired
    from agent.core.driver import continue_session

    def go(events, approver, model):
        return continue_session(sid, repo=repo, store=store, config=config, approver=approver, events=events,
                                model=model)

    return run_wired(go, repo=repo, store=store, session_id=sid, config=config, yes=yes, json_out=json_out,
                     output_patch=output_patch)

def log(
    session: OptSessionArg = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing events until the session ends.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="The raw JSON lines.")] = False,
) -> None:
    """A session's event stream, human-readable or as JSON lines."""
    from agent.cli.safe import neutralise
    from agent.sessions import lock
    from agent.sessions.logview import HumanLog, Tail

    _, store = _store()
    sid = store.find(session)["id"]
    tail = Tail(store.dir(sid) / "events.jsonl")
    human = HumanLog()
    idle = 0.0
    while True:
        for e in tail.read():
            lines = [json.dumps(e, ensure_ascii=False)] if json_out else map(neutralise, human.lines(e))
            for line in lines:
                print(line, flush=True)
            if e.get("type") == "session_finished":
                idle = -1.0
        if not follow:
            return
        # Stop when the session ended, or its process has been gone for a moment (interrupted).
        running = lock.is_running(store.dir(sid))
        idle = idle if idle < 0 else (0.0 if running else idle + 0.2)
        if (idle < 0 and not running) or idle > 2.0:
            return
        time.sleep(0.2)


def attach(session: OptSessionArg = None) -> None:
    """Watch a session live and answer its approval prompts here."""
    from agent.sessions.attach import attach_session

    repo, store = _store()
    raise typer.Exit(attach_session(store, store.find(session)["id"]))


def _decide(session: str | None, action: str, feedback: str) -> None:
    from agent.sessions import lock
    from agent.sessions.background import decide, wait_taken

    _, store = _store()
    sid = store.find(session)["id"] if session else _the_waiting_session(store)
    d = store.dir(sid)
    if not lock.is_running(d):
        from agent.errors import UsageError

        raise UsageError(f"session {sid} is not running, so nobody is waiting for an answer",
                         hint=f"`agent resume {sid}` continues it")
    answered = decide(d, action, feedback)
    what = "the plan" if answered["kind"] == "plan" else f"step {answered['step']}"
    if not wait_taken(d, answered["id"]):
        print(f"answered {what} ({answered['decision']}), but session {sid} has not picked it up yet", file=sys.stderr)
        raise typer.Exit(1)
    print(f"session {sid}: {what} -> {answered['decision']}")


def _the_waiting_session(store) -> str:
    """With no session named, approve/reject answer the one session waiting for an answer."""
    from agent.errors import UsageError
    from agent.sessions.status import summarize

    waiting = [sid for sid in store.ids() if (m := store.meta(sid)) and summarize(store, m)["state"] == "waiting"]
    if len(waiting) == 1:
        return waiting[0]
    if not waiting:
        raise UsageError("no session is waiting for an answer",
                         hint="`agent sessions` lists them; an interrupted one continues with `agent resume ID`")
    raise UsageError(f"{len(waiting)} sessions are waiting for an answer: {', '.join(waiting)}",
                     hint="name one: `agent approve ID`")


WaitingArg = Annotated[str | None, typer.Argument(help="Session id (prefix); default: the one waiting for an answer.")]


def approve(session: WaitingArg = None, feedback: FeedbackOpt = "") -> None:
    """Approve what a background session is waiting on; with --feedback, ask for changes instead."""
    _decide(session, "approve", feedback)


def reject(session: WaitingArg = None, feedback: FeedbackOpt = "",
           skip: Annotated[bool, typer.Option("--skip", help="Skip this step (revert it) and go on.")] = False) -> None:
    """Reject the plan, or stop at the step a background session is waiting on (--skip: skip it)."""
    _decide(session, "skip" if skip else "reject", feedback)


def gc(
    days: Annotated[float, typer.Option("--days", help="Only sessions idle for more than this many days.")] = 7,
    force: Annotated[bool, typer.Option("--force", help="Also remove sessions whose work was never applied.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be removed.")] = False,
) -> None:
    """Remove old finished sessions: worktree, branch and log. Unapplied work is kept unless --force.
    Says what each removal frees (use --dry-run to only see that)."""
    from agent.sessions import gc as sweep

    repo, store = _store()
    removed, kept, freed = 0, 0, 0
    for c in sweep.candidates(repo, store, days):
        what = sweep.describe(c, repo)
        if c.unapplied and not force:
            kept += 1
            print(f"kept {c.session_id}: {what} (agent apply {c.session_id}, or gc --force)")
            continue
        print(f"{'would remove' if dry_run else 'removed'} {c.session_id} ({c.info['status']}): {what}")
        removed, freed = removed + 1, freed + c.bytes
        if not dry_run:
            sweep.remove(c, repo, store)
    verb = "would free" if dry_run else "freed"
    print(f"{removed} session(s) {'to remove' if dry_run else 'removed'}, {verb} {sweep.human(freed)}; "
          f"{kept} kept with unapplied work", file=sys.stderr)


def batch(
    tasks: Annotated[Path | None, typer.Argument(help="JSON lines: {\"intent\", \"repo\", \"ref\", \"push\", \"max_cost\", \"max_tokens\", \"id\", \"args\"} (docs/fleets.md).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Tasks run at the same time (local: default 2; ray: default the cluster's CPUs).")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Seconds before a task is stopped.")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (processes here) or ray (a Ray cluster; needs the [ray] extra).")] = "local",
    address: Annotated[str | None, typer.Option("--address", help="The Ray cluster (default: RAY_ADDRESS, else a local one).")] = None,
    resume: Annotated[Path | None, typer.Option("--resume", help="Go on with the fleet in DIR: run only its unfinished tasks.")] = None,
    fleet_dir: Annotated[Path | None, typer.Option("--fleet-dir", help="Where the fleet's state goes (default ./agent-fleet-<time>).")] = None,
    max_cost: Annotated[float | None, typer.Option("--max-cost", help="USD for the whole fleet: then no task starts and running ones stop.")] = None,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", help="Tokens for the whole fleet, likewise.")] = None,
    summary_md: Annotated[Path | None, typer.Option("--summary-md", help="Write the final report as Markdown to FILE (CI step summaries).")] = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="Pass this variable of your environment to Ray workers, by NAME (repeatable).")] = None,
    trust_repo_config: Annotated[bool, typer.Option("--trust-repo-config", help="Pass --trust-repo-config to every task.")] = False,
) -> None:
    """Run many tasks (each `agent run --yes --json`, its own session) locally or on Ray; resumable, one budget."""
    from agent.sessions.batch import start_batch

    options = {"engine": engine, "address": address, "jobs": jobs, "timeout": timeout, "max_cost": max_cost,
               "max_tokens": max_tokens, "env": env or [], "trust_repo_config": trust_repo_config}
    raise typer.Exit(start_batch(tasks, resume, options, fleet_dir, summary_file=summary_md))


def worker(session: SessionArg) -> None:
    """Run a background session (started by `agent run -d` / `agent resume -d`)."""
    from agent.cli.wiring import run_worker

    raise typer.Exit(run_worker(session))


def register(app: typer.Typer) -> None:
    app.command("sessions")(sessions)
    app.command()(show)
    app.command()(resume)
    app.command()(log)
    app.command()(attach)
    app.command()(approve)
    app.command()(reject)
    app.command()(gc)
    app.command()(batch)
    app.command("_worker", hidden=True)(worker)
