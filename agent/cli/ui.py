"""Everything the person sees in the terminal: event rendering, approval prompts, summaries.

With console.py, ui_sessions.py and diffview.py, the only modules that use rich (imported lazily by the CLI,
so `agent --help` stays fast).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.cli.console import UNWRAPPED, make_console, rule, shown  # noqa: F401 - make_console: ui's API
from agent.core.plan import Decision, Plan, StepReview
from agent.events import Event

# Ways a run ends on purpose (agent.errors): told in the closing account, not as an "error:" line.
ENDINGS = {"Rejected", "TestsFailed", "TurnsExhausted", "BudgetExceeded", "Incomplete", "Interrupted", "NeedsTerminal"}

KEYS = {"approve": "a", "feedback": "f", "reject": "r", "skip": "s", "quit": "q"}


class Renderer:
    """An event sink that prints a concise, human account of the session."""

    def __init__(self, console: Console, verbose: bool = False):
        self.console = console
        self.verbose = verbose
        self._status = None
        self._live = console.is_terminal
        self._thinking = ""

    def __call__(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(event.data)

    def stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _say(self, text: str) -> None:
        self.stop_status()
        self.console.print(text)

    def _on_session_started(self, d: dict[str, Any]) -> None:
        self._say(f"[bold]agent[/] session [cyan]{d['session_id']}[/] on branch [cyan]{shown(d['branch'])}[/]"
                  f" (from {d['base_commit'][:8]})")
        self._say(f"[dim]worktree: {shown(d['worktree'])}[/]")

    def _on_warning(self, d):
        self._say(f"[yellow]warning:[/] {shown(d['message'])}")

    def _on_error(self, d):
        if d.get("kind") in ENDINGS:  # not an error: the closing account says how the run ended
            return
        self._say(f"[red]error:[/] {shown(d['message'])}")

    def _on_instructions_loaded(self, d):
        self._say(f"[dim]project instructions: {shown(', '.join(d['files']))}[/]")

    def _on_plan_proposed(self, d):
        table = Table(title=f"Plan (revision {d['revision']}): {shown(d['summary'])}", title_justify="left",
                      show_lines=False, expand=False)
        table.add_column("#", justify="right", style="bold")
        table.add_column("Step")
        table.add_column("Files", style="dim")
        for s in d["steps"]:
            table.add_row(str(s["index"]), f"[bold]{shown(s['title'])}[/]\n{shown(s['description'])}",
                          shown("\n".join(s["files"])))
        self.stop_status()
        self.console.print(table)
        if d.get("estimate"):
            self.console.print(f"[dim]{plan_estimate_line(d['estimate'])}[/]")

    def _on_step_started(self, d):
        self._say(f"\n[bold magenta]Step {d['index']}/{d['total']}:[/] [bold]{shown(d['title'])}[/]")

    def _on_attempt_started(self, d):
        if d["attempt"] > 1:
            self._say(f"[yellow]attempt {d['attempt']}/{d['max_attempts']}[/] ({d['role']}, thinking harder)")

    def _on_tier_switched(self, d):
        self._say(f"[yellow]escalating[/] from {d['from_tier']} to {d['to_tier']}: {shown(d['reason'])}")

    def _on_model_retry(self, d):
        self._say(f"[yellow]retrying model call[/] in {d['wait_seconds']:.1f}s: {shown(str(d['reason']))}")

    def _on_context_compacted(self, d):
        self._say(f"[dim]context compacted: {d['tokens_before']} -> {d['tokens_after']} tokens ({d['method']})[/]")

    def _on_model_call_started(self, d):
        self._thinking = ""
        if self._live and self._status is None:
            self._status = self.console.status(f"[dim]{d['role']}: {d.get('model', '')} thinking…[/]")
            self._status.start()

    def _on_model_progress(self, d):
        self._thinking += d.get("reasoning", "")
        if self._status is not None:
            what = f"calling {d['tool']}" if d.get("tool") else "thinking"
            latest = " ".join(self._thinking.split())[-60:]
            self._status.update(f"[dim]{what}… {d.get('output_tokens', 0)} tokens {shown(latest)}[/]")

    def _on_model_call_finished(self, d):
        self.stop_status()
        if self._thinking.strip():  # the model's reasoning summary: why it does what it does next
            self._say(f"[dim italic]  {shown(' '.join(self._thinking.split()))}[/]")
        self._thinking = ""

    def _on_tool_called(self, d):
        if d["name"] in ("apply_diff", "run_tests"):
            return  # their results say more
        self._say(f"[dim]  {shown(call_text(d['name'], d['arguments']))}[/]")

    def _on_mcp_server_started(self, d):
        self._say(f"[dim]MCP server {shown(d['name'])}: {len(d['tools'])} tool(s)[/]")

    def _on_mcp_server_failed(self, d):
        what = "did not start" if d["phase"] == "start" else "stopped"
        self._say(f"[yellow]MCP server {shown(d['name'])} {what}:[/] {shown(d['reason'])}"
                  + ("" if d["required"] else " (its tools are withdrawn)"))

    def _on_mcp_tool_approval(self, d):
        if d["decision"] == "denied" and not d["asked"]:
            self._say(f"[yellow]  {shown(d['name'])} not run:[/] {shown(d['reason'])}")

    def _on_hook_ran(self, d):
        if d["outcome"] in ("deny", "failed", "timeout"):
            self._say(f"[yellow]  {d['event']} hook {shown(d['command'])}: {d['outcome']}[/] {shown(d['reason'])}")

    def _on_diff_applied(self, d):
        mark = "[green]applied[/]" if d["ok"] else "[red]rejected[/]"
        self._say(f"  diff {mark}: {shown(', '.join(d['files']) or d['summary'])}")

    def _on_tests_run(self, d):
        verdict = d.get("verdict") or {}
        ok = verdict.get("passed", d["passed"])
        colour = "green" if ok else "red"
        if d.get("scope") == "affected":  # "affected: 12 tests, 1 failed in 0.8 s"
            failed = len(d.get("failing") or [])
            self._say(f"  affected: [{colour}]{d.get('tests_run') or 0} tests, {failed} failed in {d['duration']:.1f} s[/]")
            self._failing(d)
            self._reasons(verdict)
            return
        scope = f"before any change ({shown(d['command'])})" if d.get("baseline") else "full suite" if d.get("full") else "tests"
        self._say(f"  {scope}: [{colour}]{shown(d['summary'])}[/]")
        if not d.get("baseline"):  # the baseline's failures are listed in its warning
            self._failing(d)
        self._reasons(verdict)

    def _reasons(self, verdict: dict) -> None:
        for reason in verdict.get("reasons") or []:
            self._say(f"  [red]not accepted[/]: {shown(reason)}")

    def _failing(self, d, limit: int = 5) -> None:
        """Which tests fail, by name: "2 failed" alone says nothing to act on."""
        names = d.get("failing") or []
        for name in names[:limit]:
            self._say(f"    [red]failed[/] {shown(name)}")
        if len(names) > limit:
            self._say(f"    … and {len(names) - limit} more")

    def _on_commit_created(self, d):
        self._say(f"[green]committed[/] {d['sha'][:8]} {shown(d['message'])}")

    def _on_step_finished(self, d):
        if d.get("usage"):
            cost = "unknown" if d.get("cost") is None else f"${d['cost']:.4f}"
            self._say(f"[dim]  step {d['index']}: {d['usage']['input_tokens']} tokens in, "
                      f"{d['usage']['output_tokens']} out, cost {cost}[/]")
        if d["status"] in ("no_change_needed", "unchanged"):
            self._say(f"[yellow]step {d['index']} needed no change[/] (the model said so; tests pass): nothing committed")
        elif d["status"] == "failed":
            self._say(f"[red]step {d['index']} not done[/]: nothing committed")
        elif d["status"] == "skipped":
            self._say(f"[yellow]step {d['index']} skipped[/]: its changes were reverted")


def call_text(name: str, arguments: str, width: int = 80) -> str:
    """A tool call as people read it: `read_file path=auth.py start_line=10`, nulls left out
    (the arguments come as JSON text, possibly abridged: then shown as they are)."""
    import json

    try:
        args = json.loads(arguments)
    except (TypeError, ValueError):
        return f"{name} {arguments}"
    if not isinstance(args, dict):
        return f"{name} {arguments}"
    parts = [name]
    for key, value in args.items():
        if value is None:
            continue
        if isinstance(value, str):
            text = value if value and not any(c.isspace() or c in "\"'" for c in value) else json.dumps(
                value, ensure_ascii=False)
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}={text if len(text) <= width else text[: width - 1] + '…'}")
    return " ".join(parts)


class TerminalApprover:
    """Asks the person at the terminal, one key per decision."""

    interactive = True

    def __init__(self, console: Console, renderer: Renderer | None = None):
        self.console = console
        self.renderer = renderer

    def review_plan(self, plan: Plan, revision: int) -> Decision:
        return self._choose("Plan", ("approve", "feedback", "reject"))

    def review_step(self, review: StepReview) -> Decision:
        c = self.console
        if self.renderer:
            self.renderer.stop_status()
        s = review.step
        rule(c, f"Step {s.index}/{review.total}: {shown(s.title)}")
        if review.summary:
            c.print(shown(review.summary))
        c.print(f"[bold]Files changed:[/] {shown(', '.join(review.files)) or '(none)'}")
        if review.diff.strip():
            from agent.cli.diffview import show_diff

            show_diff(c, review.diff)
        colour = "green" if review.passed else "red"
        c.print(f"[bold]Tests:[/] [{colour}]{shown(review.tests.summary())}[/]")
        if not review.passed:
            c.print(f"[red]The tests still fail after {review.attempts} attempt(s).[/] This step cannot be committed as is.")
            c.print(shown(review.tests.report))
        return self._choose(f"Step {s.index}", review.choices)

    def review_tool(self, server: str, tool: str, arguments: str) -> str:
        """An MCP call with `approve = "ask"`: approve, deny, or always (this tool, this session)."""
        if self.renderer:
            self.renderer.stop_status()
        self.console.print(f"[bold]MCP[/] {shown(server)}: [cyan]{shown(tool)}[/] {shown(arguments)}")
        keys = {"y": "approve", "n": "deny", "a": "always"}
        while True:
            self.console.print(f"Run it? [bold]{escape('[y]')}[/]es [bold]{escape('[n]')}[/]o "
                               f"[bold]{escape('[a]')}[/]lways for this tool ", end="")
            key = read_key()
            self.console.print(key)
            if key.lower() in keys:
                return keys[key.lower()]
            self.console.print("[yellow]press one of: y, n, a[/]")

    def _choose(self, what: str, choices: tuple[str, ...]) -> Decision:
        prompt = " ".join(f"[bold]{shown('[' + KEYS[c] + ']')}[/]{c[1:]}" for c in choices)
        wanted = {KEYS[c]: c for c in choices}
        while True:
            self.console.print(f"{what}: {prompt} ", end="")
            key = read_key()
            self.console.print(shown(key))
            choice = wanted.get(key.lower())
            if choice is None:
                self.console.print(f"[yellow]press one of: {', '.join(wanted)}[/]")
                continue
            if choice == "feedback":
                text = self.console.input("Your feedback: ").strip()
                if not text:
                    self.console.print("[yellow]empty feedback; choose again[/]")
                    continue
                return Decision("feedback", text)
            return Decision(choice)


def read_key() -> str:
    """One key press without Enter (cbreak keeps Ctrl-C working); a line when not a terminal."""
    stream = sys.stdin
    if not stream.isatty():
        return (stream.readline() or "q").strip()[:1]
    import termios
    import tty

    fd = stream.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        return os.read(fd, 1).decode(errors="replace")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def render_result(console: Console, result: dict[str, Any], keeps_repo: bool = True) -> None:
    """The closing account: what happened and how to bring the work in (unless the repository is
    about to be removed: the demo without --keep)."""
    status, code = result["status"], result["exit_code"]
    colour = "green" if code == 0 else "red" if code in (1, 3) else "yellow"
    console.print()
    rule(console, f"[{colour}]{status}[/] (exit {code})")
    if result.get("message"):
        console.print(shown(result["message"]))
    if result.get("test_command"):
        console.print(f"[dim]tests: {shown(result['test_command'])}[/]")
    for what in result.get("unverified") or []:
        console.print(f"[yellow]not checked[/]: {shown(what)}")
    plan = result.get("plan") or {}
    for s in plan.get("steps", []):
        sha = f" {s['commit'][:8]}" if s.get("commit") else ""
        console.print(f"  step {s['index']}: {shown(s['title'])} {shown('[' + s['status'] + ']')}{sha}")
    if keeps_repo:
        _resume_hint(console, result)
    usage = result.get("usage") or {}
    if usage:
        cost = result.get("cost")
        cost_text = "unknown" if cost is None else f"${cost:.4f}"
        console.print(f"[dim]tokens: {usage.get('input_tokens', 0)} in ({usage.get('cached_input_tokens', 0)} cached), "
                      f"{usage.get('output_tokens', 0)} out; cost {cost_text}; {result.get('duration', 0):.1f}s[/]")
    branch, commits = result.get("branch"), result.get("commits") or []
    if branch and commits:
        console.print(f"\n{len(commits)} commit(s) on [cyan]{shown(branch)}[/]:")
        for c in commits:
            console.print(f"  {c['sha'][:8]} {shown(c['message'].splitlines()[0])}")
        sid = result["session_id"]
        if not keeps_repo:
            return
        console.print(f"\nBring them in:  [bold]agent apply {sid}[/]   (or: git merge {shown(branch)})")
        console.print(f"Throw away:     [bold]agent discard {sid}[/]")
    elif branch and keeps_repo:
        console.print(f"\nNo commits on [cyan]{shown(branch)}[/]. Remove it with: agent discard {result['session_id']}")


def _resume_hint(console: Console, result: dict[str, Any]) -> None:
    """A run the person quit at a step, or that was interrupted, can be continued: say how."""
    quit_at = [s["index"] for s in (result.get("plan") or {}).get("steps", []) if s.get("status") == "quit"]
    if not (quit_at or result["status"] == "interrupted") or not result.get("branch"):
        return
    sid = result["session_id"]
    where = f"step {quit_at[0]}" if quit_at else "where it stopped"
    console.print(f"Continue later: [bold]agent resume {sid}[/] (goes on from {where}; a half-done step starts "
                  f"again from its last commit)")
    if quit_at and result.get("worktree"):
        console.print(f"[dim]Until then the step's uncommitted changes are in {shown(result['worktree'])}[/]")


def render_tiers(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="Model tiers", title_justify="left", show_lines=True)
    for col in ("tier", "model", "roles", "context", "USD per 1M tokens"):
        table.add_column(col)
    for r in rows:
        price = r["price"]
        price_text = price if isinstance(price, str) else (
            f"in {price.get('input')}\ncached {price.get('cached_input')}\nout {price.get('output')}"
            + (f"\n[dim]checked {price['checked']}[/]" if price.get("checked") else ""))
        efforts = "\n".join(f"{k} ({v})" for k, v in (r.get("role_efforts") or {}).items())
        where = f"[dim]{r['provider']}, {r['api']} API\n{shown(r['base_url'] or '')}\n{shown(r['auth'])}[/]"
        table.add_row(r["tier"], f"[bold]{shown(r['model'])}[/]\n{where}", shown(efforts or "escalation only"),
                      str(r["context_window"]), price_text)
    console.print(table)


def render_doctor(console: Console, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        if r.get("kind") == "mcp_server":
            _render_mcp_row(console, r)
            continue
        mark = "[green]ok[/]  " if r["ok"] else "[red]FAIL[/]"
        line = f"{mark} {r['tier']}: {shown(r.get('provider', ''))} {shown(r.get('model', ''))}"
        if not r["ok"]:
            line += f" - {shown(r['problem'])}"
        console.print(line)


def _render_mcp_row(console: Console, r: dict[str, Any]) -> None:
    if r.get("skipped"):
        console.print(f"[yellow]skip[/] MCP server {shown(r['name'])}: {shown(r['skipped'])}")
        return
    mark = "[green]ok[/]  " if r["ok"] else "[red]FAIL[/]"
    line = f"{mark} MCP server {shown(r['name'])} ({r['transport']}): {len(r['tools'])} tool(s)"
    console.print(line + ("" if r["ok"] else f" - {shown(r['problem'] or '')}"))
    for tool in r["tools"]:
        extra = ("" if tool["strict"] else ", non-strict schema") + ("" if tool["approve"] == "always" else
                                                                      f", approve {tool['approve']}")
        console.print(f"[dim]       {shown(tool['name'])}{extra}[/]")


def plan_estimate_line(e: dict) -> str:
    """One line under the plan: what carrying it out will roughly cost (agent.model plan_estimate)."""
    tokens = e["input_tokens"] + e["output_tokens"]
    size = f"{tokens / 1e6:.1f}M" if tokens >= 1e6 else f"{tokens / 1e3:.0f}k"
    cost = f"~${e['cost']:.2f}" if e.get("cost") is not None else "cost unknown (no price for the model)"
    return f"Estimate: ~{e['model_calls']} model calls, ~{size} tokens, {cost} (rough)"
