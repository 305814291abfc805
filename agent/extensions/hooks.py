"""Hooks: the person's commands run around tool calls and at the end of steps and sessions.

Each hook gets one JSON object on stdin (docs/extensions.md) and has a time limit. A `pre_tool`
hook is a policy gate, so it fails closed: a deny, a non-zero exit, a timeout or output that is
not the documented JSON all refuse the call, with a reason the model sees. The other events fail
open (a `hook_ran` event with the outcome; the run goes on). Hooks run in the session's sandbox,
in the worktree, with credentials scrubbed from the environment; `sandbox = false` is honoured
only for hooks from the person's own (user) config.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.extensions.config import HookConfig

MAX_HOOK_OUTPUT = 64_000  # bytes of stdout read from a hook
MAX_CONTEXT_CHARS = 4_000  # what a post_tool hook may add for the model
_SECRET_NAMES = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|^AWS_|^AZURE_|^GITHUB_TOKEN$", re.I)


@dataclass
class HookOutcome:
    outcome: str  # ok | deny | context | failed | timeout
    reason: str = ""
    context: str = ""


def scrub_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment without credentials (the sandbox's own scrub is used when there is one)."""
    return {k: v for k, v in env.items() if not _SECRET_NAMES.search(k)}


class Hooks:
    def __init__(self, hooks: list[HookConfig], emit: Callable[..., Any], *, cwd: Path, sandbox=None,
                 unsandboxed_ok: Callable[[HookConfig], bool] = lambda hook: False,
                 env: Mapping[str, str] | None = None):
        self.hooks = hooks
        self.emit = emit
        self.cwd = cwd
        self.sandbox = sandbox
        self.unsandboxed_ok = unsandboxed_ok  # True only for hooks from user config
        self.env = os.environ if env is None else env

    def matching(self, event: str, tool: str | None = None) -> list[HookConfig]:
        return [h for h in self.hooks if h.event == event
                and (h.match is None or tool is None or fnmatch.fnmatchcase(tool, h.match))]

    def pre_tool(self, payload: dict[str, Any]) -> str | None:
        """None to go on, or the reason the call is refused (for the model)."""
        for hook in self.matching("pre_tool", payload["tool"]["name"]):
            out = self._run(hook, payload)
            if out.outcome != "ok":
                return out.reason
        return None

    def post_tool(self, payload: dict[str, Any]) -> list[str]:
        """What the hooks add for the model."""
        added = []
        for hook in self.matching("post_tool", payload["tool"]["name"]):
            out = self._run(hook, payload)
            if out.context:
                added.append(out.context)
        return added

    def notify(self, event: str, payload: dict[str, Any]) -> None:
        for hook in self.matching(event):
            self._run(hook, payload)

    def _run(self, hook: HookConfig, payload: dict[str, Any]) -> HookOutcome:
        started = time.monotonic()
        code, stdout, problem = self._execute(hook, json.dumps(payload, ensure_ascii=False, default=str))
        out = _judge(hook, code, stdout, problem)
        tool = (payload.get("tool") or {}).get("name")
        self.emit("hook_ran", event=hook.event, command=" ".join(hook.command), tool=tool, outcome=out.outcome,
                  exit_code=code, duration=round(time.monotonic() - started, 3), reason=out.reason)
        return out

    def _execute(self, hook: HookConfig, stdin: str) -> tuple[int | None, str, str | None]:
        argv, env = list(hook.command), scrub_env(self.env)
        sandboxed = self.sandbox is not None and (hook.sandbox or not self.unsandboxed_ok(hook))
        if sandboxed:
            env = self.sandbox.scrub_env(env) if hasattr(self.sandbox, "scrub_env") else env
            argv, env = self.sandbox.wrap(argv, cwd=self.cwd, env=env, network=False)
        try:
            proc = subprocess.Popen(argv, cwd=self.cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            return None, "", f"cannot start {hook.command[0]}: {exc.strerror or exc}"
        try:
            stdout, _ = proc.communicate(stdin.encode(), timeout=hook.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return None, "", f"no answer within {hook.timeout:g} s (timeout)"
        except BrokenPipeError:  # it did not read its stdin: fine
            stdout, _ = proc.communicate(timeout=hook.timeout)
        return proc.returncode, stdout[:MAX_HOOK_OUTPUT].decode("utf-8", "replace"), None


def _judge(hook: HookConfig, code: int | None, stdout: str, problem: str | None) -> HookOutcome:
    gate = hook.event == "pre_tool"
    name = " ".join(hook.command)
    if problem is not None:
        kind = "timeout" if "timeout" in problem else "failed"
        return HookOutcome(kind, f"the {hook.event} hook `{name}` failed: {problem}")
    answer, bad = _parse(stdout)
    if code != 0:
        return HookOutcome("failed", f"the {hook.event} hook `{name}` exited with {code}")
    if bad:
        return HookOutcome("failed", f"the {hook.event} hook `{name}` printed something that is not a JSON object")
    if gate and answer.get("decision") == "deny":
        reason = str(answer.get("reason") or "no reason given")[:MAX_CONTEXT_CHARS]
        return HookOutcome("deny", f"refused by a pre_tool hook: {reason}")
    if gate and answer.get("decision") not in (None, "allow"):
        return HookOutcome("failed", f"the pre_tool hook `{name}` answered decision={answer.get('decision')!r}"
                                     " (allow or deny)")
    context = answer.get("context") if hook.event == "post_tool" else None
    if isinstance(context, str) and context.strip():
        return HookOutcome("context", "", context.strip()[:MAX_CONTEXT_CHARS])
    return HookOutcome("ok")


def _parse(stdout: str) -> tuple[dict[str, Any], bool]:
    """The hook's JSON answer; empty output is an empty answer; (answer, malformed)."""
    if not stdout.strip():
        return {}, False
    try:
        value = json.loads(stdout)
    except json.JSONDecodeError:
        return {}, True
    return (value, False) if isinstance(value, dict) else ({}, True)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
