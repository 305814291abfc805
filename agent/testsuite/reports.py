"""Reading a test run's output: pytest's counts and a concise failure report, from the output or
from the per-test results."""

from __future__ import annotations

import re

REPORT_CHARS = 4_000


PYTEST_FINAL = re.compile(r"^=*\s*(?:\d+ \w+(?:, )?)+ in [\d.]+s(?: \([^)]*\))?\s*=*\s*$", re.M)
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)")
_SECTION = re.compile(r"^={3,} (.+?) ={3,}$")
_BLOCK = re.compile(r"^_{3,} (.+?) _{3,}$")
_LOCATION = re.compile(r"^(\S+?\.\w+):(\d+): ")
_SUMMARY_ID = re.compile(r"^(FAILED|ERROR) (\S+)")


def failing_ids(output: str, passed: bool, timed_out: bool, pytest_like: bool) -> list[str] | None:
    """Which tests failed, from pytest's short summary; None when unknown (timeout, other runners,
    a failing run that names no test)."""
    if timed_out:
        return None
    if passed:
        return []
    if not pytest_like:
        return None
    ids = list(dict.fromkeys(m.group(2) for m in map(_SUMMARY_ID.match, output.splitlines()) if m))
    return ids or None


def pytest_counts(output: str) -> dict:
    finals = [m.group(0) for m in PYTEST_FINAL.finditer(output)]
    if not finals:
        return {}
    counts: dict[str, int] = {}
    for n, word in _COUNT.findall(finals[-1]):
        key = {"error": "errors", "warning": "warnings"}.get(word, word)
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def other_counts(output: str) -> dict:
    counts: dict[str, int] = {}
    for _ok, n_pass, n_fail, n_skip in re.findall(r"test result: (\w+)\. (\d+) passed; (\d+) failed; (\d+) ignored",
                                                 output):  # cargo, one line per test binary
        counts["passed"] = counts.get("passed", 0) + int(n_pass)
        counts["failed"] = counts.get("failed", 0) + int(n_fail)
        counts["skipped"] = counts.get("skipped", 0) + int(n_skip)
    jest = re.findall(r"^Tests:\s+(.+?) total$", output, re.M)
    if jest:
        for n, word in re.findall(r"(\d+) (passed|failed|skipped)", jest[-1]):
            counts[word] = int(n)
    return counts


def pytest_report(output: str) -> str:
    """The failing tests with their E lines and locations, not the whole log; '' if none found."""
    lines = output.splitlines()
    ids = [m.group(2) for m in map(_SUMMARY_ID.match, lines) if m]
    blocks: list[tuple[str, list[str]]] = []
    section = ""
    for line in lines:
        sec = _SECTION.match(line)
        if sec:
            section = sec.group(1).strip().lower()
            continue
        if section not in ("failures", "errors"):
            continue
        blk = _BLOCK.match(line)
        if blk:
            blocks.append((blk.group(1), []))
        elif blocks:
            blocks[-1][1].append(line)
    parts = [_block_report(title, body, ids) for title, body in blocks]
    if not parts:
        parts = [ln for ln in lines if _SUMMARY_ID.match(ln)]
    if not parts:
        return ""
    return join_capped(parts)


def _block_report(title: str, body: list[str], ids: list[str]) -> str:
    prefix, name = "FAILED", title
    for lead in ("ERROR at setup of ", "ERROR at teardown of ", "ERROR collecting "):
        if title.startswith(lead):
            prefix, name = lead.strip(), title[len(lead):]
    dotted = name.replace(".", "::")
    for test_id in ids:  # the full id from the short summary: 'tests/test_a.py::TestX::test_y[1]'
        if test_id == name or test_id.endswith("::" + dotted):
            name = test_id
            break
    errors = [ln for ln in body if ln.startswith("E ")]
    if len(errors) > 12:
        errors = [*errors[:12], f"E   [... {len(errors) - 12} more E lines]"]
    locations = []
    for ln in body:
        m = _LOCATION.match(ln)
        if m and f"{m.group(1)}:{m.group(2)}" not in locations:
            locations.append(f"{m.group(1)}:{m.group(2)}")
    local = [loc for loc in locations if not loc.startswith("/")]  # the project's files, not the stdlib's
    locations = local or locations
    source = [ln for ln in body if ln.startswith(">")][-1:]
    out = [f"{prefix} {name}"]
    if locations:
        out.append("  at " + " <- ".join(reversed(locations[-4:])))
    out += ["  " + ln.rstrip() for ln in source + errors]
    if len(out) == 1:  # no traceback shape (e.g. collection errors from plugins): the body's end
        out += ["  " + ln for ln in [b for b in body if b.strip()][-8:]]
    return "\n".join(out)


def output_tail(output: str, max_chars: int = 3_000, max_lines: int = 60) -> str:
    """The end of the output, where most runners put their verdict."""
    lines = output.rstrip().splitlines()
    text = "\n".join(lines[-max_lines:])[-max_chars:]
    cut = len(text) < len(output.rstrip())
    return ("[... earlier output cut; last lines:]\n" if cut else "") + text


def cases_report(cases, pytest_like: bool) -> str:
    """The failing tests of a structured run, each with where and why, within REPORT_CHARS."""
    from agent.testsuite.result import COLLECTION, ERROR, FAILED

    prefixes = {FAILED: "FAILED", ERROR: "ERROR", COLLECTION: "COLLECTION ERROR"}
    failing = [c for c in cases if c.outcome in prefixes]
    failing.sort(key=lambda c: c.outcome != COLLECTION)  # what kept tests from running first
    parts = []
    for case in failing:
        body = case.message.splitlines()
        if pytest_like:
            part = _block_report(case.id, body, [case.id])
            part = prefixes[case.outcome] + part[len("FAILED"):]
        else:
            lines = [ln for ln in body if ln.strip()]
            shown = lines[:12] + ([f"[... {len(lines) - 12} more lines]"] if len(lines) > 12 else [])
            part = "\n".join([f"{prefixes[case.outcome]} {case.id}"]
                             + ([f"  at {case.location}"] if case.location and case.location != case.id else [])
                             + ["  " + ln.rstrip() for ln in shown])
        parts.append(part)
    return join_capped(parts)


def join_capped(parts: list[str]) -> str:
    """The failure parts, one after another, up to REPORT_CHARS; a line says how many were left out."""
    text = ""
    for i, part in enumerate(parts):
        if len(text) + len(part) + 1 > REPORT_CHARS:
            rest = len(parts) - i
            text += (f"[{rest} more failure{'s' if rest > 1 else ''} not shown; run_tests with a test id "
                     "or file to see them]\n")
            break
        text += part + "\n"
    return text.rstrip("\n") or (parts[0][:REPORT_CHARS] if parts else "")
