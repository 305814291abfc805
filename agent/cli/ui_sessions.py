"""What `agent sessions` and `agent show` print (rich, imported lazily by agent.cli.sessions)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from agent.cli.console import UNWRAPPED, shown


def render_sessions(console: Console, infos: list[dict[str, Any]]) -> None:
    """`agent sessions`: one row per session, newest first."""
    from agent.sessions.status import fmt_age

    if not infos:
        console.print("no agent sessions in this repository")
        return
    colours = {"done": "green", "failed": "red", "interrupted": "yellow", "waiting": "bold yellow", "discarded": "dim"}
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("ID", no_wrap=True)
    table.add_column("Intent", min_width=16, max_width=50 if console.width < UNWRAPPED else None)
    table.add_column("Status", no_wrap=True)
    table.add_column("Branch", overflow="fold")  # long: wrap it rather than squeeze the intent out
    table.add_column("Age", no_wrap=True)
    table.add_column("Cost", no_wrap=True)
    for i in infos:
        colour = colours.get(i["state"], "cyan")
        cost = "-" if i.get("cost") is None else f"${i['cost']:.4f}"
        table.add_row(i["id"], shown(i["intent"]), f"[{colour}]{shown(i['status'])}[/]", shown(i["branch"] or "-"),
                      fmt_age(i["age"]), cost)
    console.print(table)


def render_session(console: Console, info: dict[str, Any]) -> None:
    """`agent show`: plan, steps with status, commits, test results, usage."""
    console.print(f"[bold]session[/] [cyan]{info['id']}[/]: {shown(info['intent'])}")
    console.print(f"status: [bold]{shown(info['status'])}[/]   branch: {shown(info['branch'] or '-')}")
    if info.get("worktree"):
        console.print(f"[dim]worktree: {shown(info['worktree'])}[/]")
    pending = info.get("pending")
    if pending:
        console.print(f"[yellow]waiting for: {pending['kind']} {pending.get('step') or ''} "
                      f"({', '.join(pending['choices'])})[/]  agent approve/reject {info['id']}")
        if pending["kind"] == "step":
            render_waiting_step(console, pending)
    plan = info.get("plan") or {}
    if plan:
        console.print(f"\n[bold]Plan:[/] {shown(plan.get('summary', ''))}")
        for s in plan.get("steps", []):
            sha = f" {s['commit'][:8]}" if s.get("commit") else ""
            console.print(f"  {s['index']}. {shown(s['title'])} {shown('[' + str(s.get('status', 'pending')) + ']')}{sha}")
    if info.get("commits"):
        console.print("\n[bold]Commits:[/]")
        for c in info["commits"]:
            console.print(f"  {(c['sha'] or '')[:8]} {shown(c['message'] or '')}")
    if info.get("tests"):
        console.print("\n[bold]Test runs:[/]")
        for t in info["tests"]:
            colour = "green" if t["passed"] else "red"
            console.print(f"  [{colour}]{shown(t['summary'] or '')}[/] [dim]{shown(t['command'] or '')}[/]")
    u = info.get("usage") or {}
    cost = "unknown" if info.get("cost") is None else f"${info['cost']:.4f}"
    console.print(f"\n[dim]tokens: {u.get('input_tokens', 0)} in ({u.get('cached_input_tokens', 0)} cached), "
                  f"{u.get('output_tokens', 0)} out; cost {cost}[/]")
    result = info.get("result")
    if result and result.get("message"):
        console.print(f"[dim]{shown(result['message'])}[/]")


def render_waiting_step(console: Console, q: dict[str, Any]) -> None:
    """The step a background session waits on, as `agent run` would show it: summary, files,
    per-file summary and diff, the test result (the failure report when the tests fail)."""
    from agent.cli.diffview import show_diff

    console.print(f"\n[bold]Step {q.get('step')}/{q.get('total') or '?'}:[/] {shown(q.get('title', ''))}")
    if q.get("summary"):
        console.print(shown(q["summary"]))
    console.print(f"[bold]Files changed:[/] {shown(', '.join(q.get('files') or [])) or '(none)'}")
    if (q.get("diff") or "").strip():
        show_diff(console, q["diff"])
    colour = "green" if q.get("passed") else "red"
    console.print(f"[bold]Tests:[/] [{colour}]{shown(q.get('tests_summary') or '(not run)')}[/]")
    if q.get("passed") is False:
        console.print(f"[red]The tests still fail after {q.get('attempts') or 1} attempt(s).[/] "
                      "It cannot be approved as is: feedback, skip or quit.")
        console.print(shown(q.get("tests_report") or ""))
