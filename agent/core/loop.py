"""The agent loop: plan -> approve -> (step -> tests -> feedback)* -> approve -> commit.

A plain class. It is handed a model, a workspace, a test runner and an approver, and talks to
the world only through them and the event bus, so each piece can be swapped or tested alone.
Control flow that ends a run (rejection, failing tests with --yes, budget, Ctrl-C) travels as
the exceptions in agent.errors; `run` turns every ending into one truthful result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from agent.config import Config
from agent.core import prompts
from agent.core.checks import StepChecks, verdict_event
from agent.core.conversation import Conversation, ToolCall
from agent.core.plan import Plan, PlanStep, StepReview, parse_plan
from agent.core.seams import Approver, Model
from agent.core.turns import Turns
from agent.errors import (
    Incomplete,
    Rejected,
    TestsFailed,
    TurnsExhausted,
)
from agent.events import EventBus
from agent.testsuite.baseline import Baseline
from agent.tools.dispatch import ToolBox, tests_event, tests_text
from agent.tools.specs import READ_TOOLS, STEP_TOOLS, session_tools

PLAN_PHASE = frozenset(t.name for t in READ_TOOLS)
STEP_PHASE = frozenset(t.name for t in STEP_TOOLS)

NUDGES_ALLOWED = 3  # text-only answers in a row before we give up on the model
TURNS_WARNING = 2  # the model is told to finish when this many turns of --max-turns are left
UNCHANGED_FINISHES_ALLOWED = 2  # finish_step with nothing changed and no no_change_needed, per step
DONE_OK = ("committed", "no_change_needed")  # the step outcomes a `done` run may have
DONE_STEPS = (*DONE_OK, "skipped", "unchanged")  # over (not redone on resume); "unchanged": older logs


def _names(ids, shown: int = 5) -> str:
    ids = list(ids)
    return ", ".join(ids[:shown]) + (" …" if len(ids) > shown else "")


@dataclass
class RunState:
    """Everything needed to continue a session; rebuilt from the session log on resume."""

    intent: str
    plan: Plan | None = None
    feedback: list[str] = field(default_factory=list)
    last_tests: dict[str, Any] | None = None
    baseline_failures: list[str] = field(default_factory=list)  # tests failing before any change (exact ids)
    test_command: str | None = None  # as shown to people; None: no test command
    unverified: list[str] = field(default_factory=list)  # what the tests could not check, for the result


class Loop:
    def __init__(
        self,
        model: Model,
        workspace,
        tests,
        approver: Approver,
        events: EventBus,
        config: Config,
        *,
        conversation: Conversation,
        repo_map=None,
        checkpoint: Callable[[RunState, Conversation], None] | None = None,
        baseline: Baseline | None = None,
        extensions=None,
    ):
        self.model = model
        self.workspace = workspace
        self.tests = tests
        self.approver = approver
        self.events = events
        self.config = config
        self.conv = conversation
        self.repo_map = repo_map
        # Called at every point a resume can restart from (plan approved, step over), with the
        # worktree committed or clean: the session store persists state and conversation there.
        self.checkpoint = checkpoint or (lambda state, conv: None)
        self.baseline = baseline
        self.checks = StepChecks(tests, events.emit, strategy=getattr(config, "test_strategy", "affected-first"),
                                 repo_map=repo_map)
        self.extensions = extensions  # agent.extensions.Extensions: MCP tools, hooks (None: none configured)
        self.toolbox = ToolBox(workspace, tests, events.emit, repo_map=repo_map, syntax_check=config.syntax_check,
                               extensions=extensions)
        self.tools = session_tools(tests)  # once per session: run_tests names the resolved test command
        self.turns = Turns(model, conversation, self.toolbox, config, tools=self.tools, extensions=extensions)

    # ----------------------------------------------------------------- planning

    def make_plan(self, state: RunState) -> Plan:
        emit = self.events.emit
        self.conv.pin("intent", f"The person's request: {state.intent}")
        self.conv.add_user(prompts.render("plan.md", intent=state.intent, repo_map=self._map(state.intent, ())))
        revision = 0
        while True:
            call = self.turns.until("submit_plan", PLAN_PHASE, role="plan")
            plan, problem = parse_plan(call, self.config.max_steps)
            if problem:
                self.conv.add_tool_output(call.call_id, f"Error: {problem} Call submit_plan again.")
                continue
            revision += 1
            estimate = getattr(self.model, "plan_estimate", None)
            emit("plan_proposed", summary=plan.summary, steps=[s.to_dict() for s in plan.steps], revision=revision,
                 estimate=estimate(len(plan.steps)) if estimate else None)
            decision = self._ask("plan", None, partial(self.approver.review_plan, plan, revision))
            if decision.kind == "approve":
                self.conv.add_tool_output(call.call_id, "The person approved the plan.")
                state.plan = plan
                self._pin_plan(state)
                self.checkpoint(state, self.conv)
                return plan
            if decision.kind == "feedback":
                state.feedback.append(f"On the plan: {decision.feedback}")
                self.conv.pin("feedback", "\n".join(state.feedback))
                self.conv.add_tool_output(call.call_id, prompts.render("plan_feedback.md", feedback=decision.feedback))
                continue
            self.conv.add_tool_output(call.call_id, "The person rejected the plan.")
            raise Rejected("the plan was rejected")

    # -------------------------------------------------------------------- steps

    def run_steps(self, state: RunState) -> None:
        assert state.plan is not None
        self._settle_baseline(state)  # before the first edit touches the worktree
        for step in state.plan.steps:
            if step.status in DONE_STEPS:
                continue  # done before a resume
            self.run_step(state, step)
        left = [s for s in state.plan.steps if s.status not in DONE_OK]
        if left:  # skipped, or left without its change: never `done`
            raise Incomplete(f"{len(left)} of {len(state.plan.steps)} step(s) not done: "
                             + ", ".join(f"{s.index} ({s.status})" for s in left),
                             hint="the committed steps stay on the branch")

    def run_step(self, state: RunState, step: PlanStep) -> None:
        total = len(state.plan.steps)
        step.status = "running"
        self._pin_plan(state)
        self.events.emit("step_started", index=step.index, total=total, title=step.title)
        self.conv.add_user(prompts.render(
            "step.md", index=str(step.index), total=str(total), title=step.title, description=step.description,
            files=", ".join(step.files) or "(not specified)",
            repo_map=self._map(step.title + " " + step.description, step.files),
        ))
        attempt = self._start_attempt(step, 1)
        unchanged_finishes = 0
        try:
            while True:
                try:
                    call = self.turns.until("finish_step", STEP_PHASE, role="edit" if attempt == 1 else "fix")
                except TurnsExhausted as exc:
                    attempt = self._out_of_turns(step, attempt, exc)
                    continue
                args = self._args(call)
                summary = str(args.get("summary", "")).strip()
                changed = self.workspace.has_changes()
                if not changed and args.get("no_change_needed") is not True:
                    unchanged_finishes += 1
                    self._refuse_unchanged_finish(call, step, summary, unchanged_finishes)
                    continue
                check = self.checks.run(step, self.workspace.changed_files())
                result = check.result
                state.last_tests = {**tests_event(result), "scope": result.scope, "verdict": verdict_event(check.verdict)}
                if check.passed:
                    note = check.verdict.text()
                    self.conv.add_tool_output(call.call_id, "\n".join(filter(None, [
                        tests_text(result), note, "The person is reviewing the step." if changed else ""])))
                    if not changed:  # the model said explicitly that none is needed, and the tests pass
                        self._finish(step, "no_change_needed", summary)
                        return
                    decision = self._review(step, total, result, True, summary, attempt)
                else:
                    self._report_failure(call, step, check, attempt)
                    if attempt < self.config.max_attempts:
                        attempt = self._start_attempt(step, attempt + 1)
                        continue
                    if not self.approver.interactive:
                        self._finish(step, "failed", summary)
                        raise TestsFailed(
                            f"step {step.index} ({step.title}): tests still fail after {attempt} attempts: "
                            f"{'; '.join(check.verdict.reasons) or result.summary()}",
                            hint=("the failing changes are left uncommitted in the worktree" if self.config.keep_failed
                                  else "its changes were not kept; --keep-failed keeps them in the worktree"),
                        )
                    decision = self._review(step, total, result, False, summary, attempt)
                if self._decide(state, step, total, decision, summary):
                    return
                attempt = self._start_attempt(step, 1)  # feedback: a new round of attempts
        finally:
            self.conv.pin("failures", None)
            self.model.end_step()
            self._pin_plan(state)
            if step.status in DONE_STEPS:
                self.checkpoint(state, self.conv)
            if self.extensions:
                self.extensions.step_end({"index": step.index, "title": step.title, "status": step.status,
                                          "commit": step.commit, "summary": step.summary})

    def _out_of_turns(self, step: PlanStep, attempt: int, exc: TurnsExhausted) -> int:
        """An attempt that used --max-turns turns without finish_step failed unfinished: the next
        attempt starts (told why), and after the last one the run ends with TurnsExhausted (exit 3),
        the step's changes left uncommitted in the worktree."""
        if attempt >= self.config.max_attempts:
            self._finish(step, "failed", "")
            raise TurnsExhausted(f"step {step.index} ({step.title}): {exc} in each of {attempt} attempt(s)",
                                 hint="the step's changes are left uncommitted in the worktree; "
                                      "raise --max-turns or split the step")
        self.conv.add_user(prompts.render("turns_out.md", max_turns=str(self.config.max_turns),
                                          attempt=str(attempt + 1), max_attempts=str(self.config.max_attempts)))
        return self._start_attempt(step, attempt + 1)

    def _refuse_unchanged_finish(self, call: ToolCall, step: PlanStep, summary: str, count: int) -> None:
        """finish_step with nothing changed since the step started: ask for the change, or for an
        explicit no_change_needed; after UNCHANGED_FINISHES_ALLOWED, the step is left undone."""
        if count > UNCHANGED_FINISHES_ALLOWED:
            self.conv.add_tool_output(call.call_id, "The step ends without its change.")
            self._finish(step, "failed", summary)
            raise Incomplete(f"step {step.index} ({step.title}): finished {count} times without any change "
                             "and without saying no change is needed",
                             hint="the committed steps stay on the branch")
        self.conv.add_tool_output(call.call_id, prompts.render("no_change.md", index=str(step.index)))

    def _start_attempt(self, step: PlanStep, attempt: int) -> int:
        max_attempts = self.config.max_attempts
        if attempt > 1 and attempt == max_attempts:  # the last try goes to a stronger tier when there is one
            self.model.escalate(f"step {step.index} still fails after {attempt - 1} attempts")
        role = "edit" if attempt == 1 else "fix"
        self.events.emit("attempt_started", index=step.index, attempt=attempt, max_attempts=max_attempts,
                         role=role, tier=self._tier(role))
        return attempt

    def _report_failure(self, call: ToolCall, step: PlanStep, check, attempt: int) -> None:
        """The failing run goes back to the model (and is pinned, so compaction keeps it)."""
        scope = "full test suite" if check.full else "tests affected by this step (the full suite runs once they pass)"
        report = "\n\n".join(filter(None, [check.verdict.text(), tests_text(check.result)]))
        self.conv.add_tool_output(call.call_id, prompts.render(
            "tests_failed.md", attempt=str(attempt), max_attempts=str(self.config.max_attempts), scope=scope,
            report=self._known_note() + report))
        self.conv.pin("failures", f"Step {step.index} failing tests:\n{report}")

    def _decide(self, state: RunState, step: PlanStep, total: int, decision, summary: str) -> bool:
        """Carry out the person's decision on a step; True when the step is over."""
        if decision.kind == "approve":
            message = f"{step.title}\n\n{summary}\n\nStep {step.index}/{total} of agent session for: {state.intent}"
            files = self.workspace.changed_files()
            sha = self.workspace.commit(message)
            self.events.emit("commit_created", index=step.index, sha=sha, message=step.title, files=files)
            self._finish(step, "committed", summary, commit=sha)
            return True
        if decision.kind == "feedback":
            state.feedback.append(f"On step {step.index}: {decision.feedback}")
            self.conv.pin("feedback", "\n".join(state.feedback))
            self.conv.add_user(prompts.render("step_feedback.md", index=str(step.index), title=step.title,
                                              feedback=decision.feedback))
            return False
        if decision.kind == "skip":
            self.workspace.reset_hard()
            self.conv.add_user(f"The person skipped step {step.index}; its changes were reverted.")
            self._finish(step, "skipped", summary)
            return True
        self._finish(step, "quit", summary)
        raise Rejected(f"stopped at step {step.index} by the person",
                       hint="the step's uncommitted changes are left in the worktree")

    def _settle_baseline(self, state: RunState) -> None:
        """Wait for the baseline test run and say what it found (to the person and the model)."""
        if self.baseline is None:  # resumed: what the first run found
            self.checks.restore(state.baseline_failures)
            return
        result = self.baseline.result()
        self.baseline = None
        if result is None or not result.command:
            return
        self.checks.settle(result)
        self.events.emit("tests_run", **tests_event(result), full=True, baseline=True, scope="baseline")
        known = self.checks.known_failures()
        broken = result.collection_errors
        if broken:
            self.events.emit("warning", message=(
                f"{len(broken)} test module(s) do not load before any change, their tests cannot check the steps: "
                + _names(broken) + "; the other tests still run"))
        if not result.passed and (known or not broken):
            if known:
                message = (f"{len(known)} test(s) already fail before any change ({_names(sorted(known))}); "
                           "steps are judged by the failures they add")
            else:
                message = (f"the tests already fail before any change ({result.summary()}); "
                           "a step passes only when the whole suite passes")
            self.events.emit("warning", message=message)
        state.baseline_failures = sorted(known or ())
        note = self._known_note()
        self.conv.pin("baseline", note.strip() or None)

    def _known_note(self) -> str:
        known = self.checks.known_failures()
        broken = self.checks.baseline.collection_errors if self.checks.baseline is not None else []
        parts = []
        if known:
            parts.append("These tests already failed before this session and are not your concern: "
                         + ", ".join(sorted(known)))
        if broken:
            parts.append("These test modules could not be collected before this session (their tests cannot "
                         "run; not your concern unless the step is about them): " + ", ".join(broken))
        return "\n".join(parts) + "\n\n" if parts else ""

    def _review(self, step, total, result, passed, summary, attempts):
        review = StepReview(step, total, self.workspace.diff(), self.workspace.changed_files(), result, passed,
                            summary, attempts)
        return self._ask("step", step.index, lambda: self.approver.review_step(review), review.choices)

    def _finish(self, step: PlanStep, status: str, summary: str, commit: str | None = None) -> None:
        step.status, step.summary, step.commit = status, summary, commit
        usage, cost = getattr(self.model, "step_usage", None), getattr(self.model, "step_cost", None)
        step.usage = usage.to_dict() if usage is not None else None
        step.cost = None if cost is None else round(cost, 6)
        self.events.emit("step_finished", index=step.index, status=status, commit=commit, summary=summary,
                         usage=step.usage, cost=step.cost)

    # ------------------------------------------------------------------ helpers

    def _tier(self, role: str) -> str:
        """The tier that will serve `role` now (escalation included), for the person and the log."""
        tier_for = getattr(self.model, "tier_for", None)
        return tier_for(role) if tier_for is not None else ""

    def _ask(self, kind: str, step: int | None, ask, choices=("approve", "feedback", "reject")):
        self.events.emit("approval_requested", kind=kind, step=step, choices=list(choices))
        decision = ask()
        self.events.emit("approval_answered", kind=kind, step=step, decision=decision.kind, feedback=decision.feedback)
        return decision

    @staticmethod
    def _args(call: ToolCall) -> dict[str, Any]:
        try:
            return call.args()
        except ValueError:
            return {}

    def _map(self, focus: str, files) -> str:
        if self.repo_map is None:
            return ""
        try:
            text = self.repo_map.render(focus_text=focus, focus_files=list(files), budget_tokens=2048).text
        except Exception as exc:  # the map is a help, never a reason to fail a run
            self.events.emit("warning", message=f"repository map unavailable: {exc}")
            return ""
        return f"Repository map (most relevant first):\n{text}" if text else ""

    def _pin_plan(self, state: RunState) -> None:
        if state.plan is not None:
            self.conv.pin("plan", state.plan.render_text())
