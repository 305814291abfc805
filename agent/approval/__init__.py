"""Who answers the approval prompts. The loop asks; an Approver (agent.core.seams) answers.

The terminal approver (agent.cli.ui), the `--yes` approver, the no-terminal approver and the
background approver (agent.sessions.background: answers come from `agent approve` in another
process) are interchangeable.
"""

from __future__ import annotations

from agent.core.plan import Decision, Plan, StepReview
from agent.errors import NeedsTerminal


class YesApprover:
    """--yes: approve every plan and every passing step."""

    interactive = False

    def review_plan(self, plan: Plan, revision: int) -> Decision:
        return Decision("approve")

    def review_step(self, review: StepReview) -> Decision:
        return Decision("approve" if review.passed else "quit")


class NoTerminalApprover:
    """No terminal on stdin and no --yes: stop at the first approval instead of hanging."""

    interactive = False

    def _refuse(self, what: str) -> Decision:
        raise NeedsTerminal(
            f"{what} needs approval but stdin is not a terminal",
            hint="run it in a terminal, pass --yes to approve everything, or use --background and `agent approve`",
        )

    def review_plan(self, plan: Plan, revision: int) -> Decision:
        return self._refuse("the plan")

    def review_step(self, review: StepReview) -> Decision:
        return self._refuse(f"step {review.step.index}")
