"""Syntax guard: refuse an edit that makes a file fail to parse where it parsed before.

Only *new* errors count: a file that was already broken may stay as broken, but not get worse.
"""

from __future__ import annotations

from collections import Counter

from agent.languages import language_name, parser_for

_MAX_BYTES = 2_000_000  # beyond this a parse costs more than it is worth


def _errors(tree, source: bytes) -> list[tuple[int, int, str]]:
    """(row, column, kind) of each ERROR / MISSING node, outermost first, by position."""
    out: list[tuple[int, int, str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            out.append((node.start_point[0], node.start_point[1], f"missing {node.type!r}"))
            continue
        if node.type == "ERROR":
            out.append((node.start_point[0], node.start_point[1], "syntax error"))
            continue  # errors nested in an error add nothing
        if node.has_error:
            stack.extend(reversed(node.children))
    return sorted(out)


def new_syntax_error(path: str, before: str | None, after: str) -> str | None:
    """A message locating the first parse error `after` has and `before` had not, else None."""
    parser = parser_for(path)
    if parser is None:
        return None
    new_src = after.encode("utf-8", "surrogatepass")
    if len(new_src) > _MAX_BYTES:
        return None
    new_tree = parser.parse(new_src)
    if not new_tree.root_node.has_error:
        return None
    new_errs = _errors(new_tree, new_src)
    old_errs: list[tuple[int, int, str]] = []
    old_lines: list[str] = []
    if before is not None:
        old_src = before.encode("utf-8", "surrogatepass")
        old_tree = parser.parse(old_src)
        if old_tree.root_node.has_error:
            old_errs = _errors(old_tree, old_src)
        old_lines = before.split("\n")
    if len(new_errs) <= len(old_errs):
        return None
    # Report an error whose line text was not an error line before (positions shift with the edit).
    new_lines = after.split("\n")
    seen = Counter(old_lines[r].strip() if r < len(old_lines) else "" for r, _, _ in old_errs)
    pick = new_errs[0]
    for err in new_errs:
        text = new_lines[err[0]].strip() if err[0] < len(new_lines) else ""
        if seen[text] > 0:
            seen[text] -= 1
            continue
        pick = err
        break
    row, col, kind = pick
    lo, hi = max(0, row - 3), min(len(new_lines), row + 4)
    width = len(str(hi))
    shown = "\n".join(f"{'>' if i == row else ' '}{i + 1:>{width}} | {new_lines[i].rstrip(chr(13))}"
                      for i in range(lo, hi))
    lang = language_name(path)
    return (f"The edit would introduce a {lang} {kind} at line {row + 1}, column {col + 1} "
            f"(the file parsed {'cleanly' if not old_errs else 'with fewer errors'} before), so it was "
            f"not applied. The file as it would have been:\n{shown}")
