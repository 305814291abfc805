"""The patch engine: applies (possibly sloppy) model-written unified diffs reliably, or refuses clearly.

    from agent.patch import apply_patch, PatchResult
    result = apply_patch(root, diff_text, check=False, syntax_check=True)

Hunks are located by content (exact first, then looser levels; the header's line number only
breaks ties), every file is planned in memory, and the whole patch is written or none of it.
"""

from agent.patch.apply import MAX_DIFF_BYTES, apply_patch
from agent.patch.report import FileResult, HunkResult, PatchResult

__all__ = ["apply_patch", "MAX_DIFF_BYTES", "PatchResult", "FileResult", "HunkResult"]
