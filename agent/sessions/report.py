"""After a session: the combined patch (--output-patch) and the GitHub Actions job summary.

Both are built from the result object alone (plus git for the patch), so a foreground run, a
background worker and `agent resume` write the same things.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_DIFF_OPTS = ("--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/", "--binary", "--full-index")


def write_patch(repo_root: Path, result: dict[str, Any], path: Path) -> None:
    """The session's whole change (base commit -> branch tip) as a patch `git apply` takes on the base."""
    from agent.workspace.git import out, run_git

    text = ""
    # A session with no commits leaves no branch (driver): its patch is empty, not a git error.
    if result.get("branch") and result.get("base_commit") and result.get("commits"):
        text = out(run_git(Path(repo_root), "diff", *_DIFF_OPTS, result["base_commit"], f"refs/heads/{result['branch']}"))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")


def github_summary(result: dict[str, Any]) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: outcome, plan and steps, tests, cost."""
    ok = result.get("exit_code") == 0
    lines = [f"## {'✅' if ok else '❌'} agent: {_md(result.get('intent', ''))}", "",
             f"**Status:** `{result.get('status')}` (exit {result.get('exit_code')})  ",
             f"**Session:** `{result.get('session_id')}`  ",
             f"**Branch:** `{result.get('branch') or '-'}`"]
    if result.get("message"):
        lines += ["", f"> {_md(result['message'])}"]
    plan = result.get("plan") or {}
    if plan.get("steps"):
        lines += ["", f"### Plan: {_md(plan.get('summary', ''))}", "", "| # | Step | Status | Commit |",
                  "|---|------|--------|--------|"]
        for s in plan["steps"]:
            commit = f"`{s['commit'][:8]}`" if s.get("commit") else ""
            lines.append(f"| {s['index']} | {_md(s['title'])} | {s.get('status', '')} | {commit} |")
    tests = result.get("tests")
    if tests:
        mark = "passed" if tests.get("passed") else "failed"
        lines += ["", "### Tests", "", f"`{_md(tests.get('command') or '')}`: **{mark}**: {_md(tests.get('summary', ''))}"]
        for title, ids in (("New failures", result.get("new_failures")),
                           ("Already failing before any change", result.get("preexisting_failures")),
                           ("Not checked", result.get("unverified"))):
            if ids:
                lines += ["", f"{title} ({len(ids)}):"] + [f"- `{_md(i)}`" for i in ids[:20]]
                if len(ids) > 20:
                    lines.append(f"- … and {len(ids) - 20} more")
    files = result.get("files_changed") or []
    if files:
        lines += ["", f"### Files changed ({len(files)})", ""] + [f"- `{f}`" for f in files[:50]]
        if len(files) > 50:
            lines.append(f"- … and {len(files) - 50} more")
    usage = result.get("usage") or {}
    cost = result.get("cost")
    lines += ["", "### Usage", "",
              f"{usage.get('input_tokens', 0)} input tokens ({usage.get('cached_input_tokens', 0)} cached), "
              f"{usage.get('output_tokens', 0)} output tokens; cost "
              f"{'unknown' if cost is None else f'${cost:.4f}'}; {result.get('duration', 0):.1f}s"]
    return "\n".join(lines) + "\n\n"


def write_reports(repo_root: Path, result: dict[str, Any], *, output_patch: Path | None = None,
                  env: dict[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    if output_patch is not None:
        write_patch(repo_root, result, output_patch)
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(github_summary(result))


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()
