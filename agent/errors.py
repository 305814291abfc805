"""Every error the agent raises on purpose, and the exit code each one maps to.

    AgentError                      1  anything the agent or model got wrong
    ├── UsageError                  2  the person's input: bad flags, bad config, not a repo
    │   ├── ConfigError             2
    │   ├── RepoError               2  outside a git repo, bare repo, no commits, unknown session
    │   ├── NeedsTerminal           2  an approval is due but stdin is no terminal and --yes is off
    │   └── SandboxUnavailable      2  no sandbox can run here (install bubblewrap or pass --sandbox off)
    ├── ModelError                  1  the provider failed after retries, or answered nonsense
    │   ├── ModelAuthError          1  401/403: wrong key or no access
    │   ├── ModelNotFound           1  404: unknown model or deployment
    │   ├── ModelTimeout            1  no complete answer within the request deadline or the
    │   │                              retry budget (a silent server, keepalive drips)
    │   ├── ContextOverflow         1  context still too long after compaction
    │   ├── ContextTooLong          1  (internal) the provider said the prompt is over the window:
    │   │                              the model layer compacts and asks again
    │   ├── ReasoningUnsupported    1  (internal) the model refused reasoning parameters: dropped once
    │   └── BrokenStream            1  (internal) a stream that broke, or garbage in it: retried
    ├── WorkspaceError              1  the worktree could not be created, changed or committed
    ├── ExtensionError              1  a required MCP server failed to start or died
    ├── ToolError                   1  a tool call the model got wrong: its message goes back to
    │   │                              the model and never ends a run on its own
    │   └── PathEscape              1  a path leaves the worktree (.., absolute, symlink, .git/)
    ├── TestsFailed                 3  a step's tests still fail after its attempts
    ├── TurnsExhausted              3  the model used --max-turns turns in every attempt of a step
    │                                  (or in planning) without finishing it
    ├── Rejected                    4  the person rejected the plan or quit at a step
    ├── BudgetExceeded              5  --max-cost / --max-tokens would be passed by the next call
    ├── Incomplete                  6  a step was skipped or left without its change
    └── Interrupted               130  Ctrl-C / SIGTERM

Errors that carry control flow (TestsFailed, Rejected, BudgetExceeded, Incomplete, Interrupted) end a run
cleanly: work already committed stays committed and the run's result says which one ended it.
Every provider error becomes one of the ModelError classes in one place
(agent/model/retry.py:classify); the (internal) ones never end a run on their own unless the
model layer gives up on them, and then they still end it as a ModelError with exit 1.
The CLI turns any AgentError into one line on stderr and its exit code; AGENT_DEBUG=1 adds the
traceback.
"""

from __future__ import annotations


class AgentError(Exception):
    exit_code = 1
    status = "error"  # the `status` field of the JSON result

    def __init__(self, message: str = "", *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f" ({self.hint})" if self.hint else "")


class UsageError(AgentError):
    exit_code = 2
    status = "usage_error"


class ConfigError(UsageError):
    pass


class RepoError(UsageError):
    pass


class NeedsTerminal(UsageError):
    status = "needs_approval"


class SandboxUnavailable(UsageError):
    """The configured sandbox cannot run here; raised before any session exists."""

    status = "sandbox_unavailable"


class ModelError(AgentError):
    pass


class ModelAuthError(ModelError):
    pass


class ModelNotFound(ModelError):
    pass


class ContextOverflow(ModelError):
    pass


class ModelTimeout(ModelError):
    """No complete answer within the request deadline (or the retry budget ran out)."""


class ContextTooLong(ModelError):
    """The provider said the prompt is over the context window (handled by compaction)."""


class ReasoningUnsupported(ModelError):
    """The model rejected reasoning / effort parameters (handled by dropping them once)."""


class BrokenStream(ModelError):
    """The stream ended (or failed, or sent garbage) before its completion event: ask again."""


class WorkspaceError(AgentError):
    pass


class ExtensionError(AgentError):
    pass


class ToolError(AgentError):
    pass


class PathEscape(ToolError):
    pass


class TestsFailed(AgentError):
    __test__ = False  # not a pytest test class
    exit_code = 3
    status = "tests_failed"


class TurnsExhausted(AgentError):
    """The model kept working without finishing: --max-turns turns in every attempt."""

    exit_code = 3
    status = "turns_exhausted"


class Rejected(AgentError):
    exit_code = 4
    status = "rejected"


class BudgetExceeded(AgentError):
    exit_code = 5
    status = "budget_exceeded"


class Incomplete(AgentError):
    """The run got to its end, but not every step is committed or explicitly needed no change."""

    exit_code = 6
    status = "incomplete"


class Interrupted(AgentError):
    exit_code = 130
    status = "interrupted"


EXIT_CODES = {
    0: "every step committed (or explicitly needing no change) and the tests ran and pass",
    1: "agent or model error",
    2: "usage error (flags, config, not a git repository, approval needed without a terminal)",
    3: "a step's tests still fail after its attempts, or the model ran out of turns (--max-turns)",
    4: "rejected: the plan or a step was rejected, or the person quit",
    5: "a budget (--max-cost / --max-tokens) ran out",
    6: "incomplete: a step was skipped or left without its change (committed steps stay)",
    130: "interrupted (Ctrl-C)",
}


def finish_reason(exc: BaseException) -> AgentError:
    """Map whatever ended a run to the AgentError that describes it."""
    if isinstance(exc, AgentError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted("interrupted")
    return AgentError(f"internal error: {type(exc).__name__}: {exc}")
