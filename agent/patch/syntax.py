"""Syntax guard: refuse an edit that makes a file fail to parse where it parsed before.

Only *new* errors count: a file that was already broken may stay as broken, but not get worse.
Where a file already has errors (a grammar that does not quite fit it, an unfinished edit), only
errors in or next to the lines the patch changed are compared: counts elsewhere in the file say
nothing about the edit. A `.h` header is parsed with whichever of C and C++ fits it better before
the edit (C++ references in a header are a C syntax error).
"""

from __future__ import annotations

from collections import Counter

from agent.languages import parser_candidates

_MAX_BYTES = 2_000_000  # beyond this a parse costs more than it is worth
_NEAR = 1  # lines on each side of a changed range that still count as "next to" it

Error = tuple[int, int, int, str]  # (start row, column, end row, kind)


def _errors(tree) -> list[Error]:
    """Each ERROR / MISSING node, outermost first, by position."""
    out: list[Error] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            out.append((node.start_point[0], node.start_point[1], node.end_point[0], f"missing {node.type!r}"))
            continue
        if node.type == "ERROR":
            out.append((node.start_point[0], node.start_point[1], node.end_point[0], "syntax error"))
            continue  # errors nested in an error add nothing
        if node.has_error:
            stack.extend(reversed(node.children))
    return sorted(out)


def _parse(parser, text: str) -> list[Error]:
    tree = parser.parse(text.encode("utf-8", "surrogatepass"))
    return _errors(tree) if tree.root_node.has_error else []


def _pick_grammar(path: str, before: str | None, after: str):
    """(name, parser, errors in before) for the grammar that parses the file best before the edit."""
    best = None
    for name, parser in parser_candidates(path):
        errs = _parse(parser, before if before is not None else after)
        if best is None or len(errs) < len(best[2]):
            best = (name, parser, errs)
        if not errs:
            break
    return best


def _near(errs: list[Error], ranges: list[tuple[int, int]]) -> list[Error]:
    """The errors whose rows touch a range [lo, hi) widened by _NEAR lines each side."""
    return [e for e in errs if any(e[0] < hi + _NEAR and e[2] >= lo - _NEAR for lo, hi in ranges)]


def new_syntax_error(path: str, before: str | None, after: str,
                     changed: list[tuple[int, int, int, int]] | None = None) -> str | None:
    """A message locating the first parse error `after` has and `before` had not, else None.

    `changed` holds (old start, old end, new start, new end) line ranges of the edit; without it
    the whole file is compared.
    """
    if len(after) > _MAX_BYTES or (before is not None and len(before) > _MAX_BYTES):
        return None
    picked = _pick_grammar(path, before, after)
    if picked is None:
        return None
    lang, parser, old_errs = picked
    if before is None:
        old_errs = []
    new_errs = _parse(parser, after)
    if not new_errs:
        return None
    had_errors = bool(old_errs)
    if old_errs and changed:
        new_errs = _near(new_errs, [(c, d) for _, _, c, d in changed])
        old_errs = _near(old_errs, [(a, b) for a, b, _, _ in changed])
    if len(new_errs) <= len(old_errs):
        return None
    return _message(lang, before, after, old_errs, new_errs, had_errors)


def _message(lang: str, before: str | None, after: str, old_errs: list[Error], new_errs: list[Error],
             had_errors: bool) -> str:
    # Report an error whose line text was not an error line before (positions shift with the edit).
    old_lines = before.split("\n") if before is not None else []
    new_lines = after.split("\n")
    seen = Counter(old_lines[r].strip() if r < len(old_lines) else "" for r, _, _, _ in old_errs)
    pick = new_errs[0]
    for err in new_errs:
        text = new_lines[err[0]].strip() if err[0] < len(new_lines) else ""
        if seen[text] > 0:
            seen[text] -= 1
            continue
        pick = err
        break
    row, col, _, kind = pick
    lo, hi = max(0, row - 3), min(len(new_lines), row + 4)
    width = len(str(hi))
    shown = "\n".join(f"{'>' if i == row else ' '}{i + 1:>{width}} | {new_lines[i].rstrip(chr(13))}"
                      for i in range(lo, hi))
    return (f"The edit would introduce a {lang} {kind} at line {row + 1}, column {col + 1} "
            f"(the file parsed {'with fewer errors there' if had_errors else 'cleanly'} before), so it "
            f"was not applied. The file as it would have been:\n{shown}")
