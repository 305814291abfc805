"""The git side of a session: the person's repository and the session's isolated worktree."""

from agent.workspace.repo import Repo, slugify
from agent.workspace.worktree import Workspace

__all__ = ["Repo", "Workspace", "slugify"]
