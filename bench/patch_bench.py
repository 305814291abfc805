"""Patch benchmark: our engine vs git apply vs GNU patch on real diffs with model-style damage.

    python bench/patch_bench.py [--limit N] [--kinds a,b] [--jobs N]

Each case is one real before/after file pair (see patch_corpus.py) and its unified diff, damaged
in one way (or several, "combined"). Every applier gets a fresh directory holding `before`; the
outcome is *correct* (result == after), *rejected* (refused; for GNU patch a non-zero exit even
if it wrote part of the patch) or *wrong* (claimed success but the file differs, or our engine
changed the file while refusing). Writes bench/results/patch.md.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import patch_formats  # noqa: E402
from patch_corpus import Pair, load_pairs, unified  # noqa: E402

from agent.patch import apply_patch  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "patch.md"
APPLIERS = ["engine", "git apply", "git apply --recount --ignore-whitespace", "patch --fuzz=3"]
_HDR = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")


@dataclass
class Hunk:
    old: int
    old_len: int
    new: int
    new_len: int
    body: list[str]  # diff lines without "\n": " x", "-x", "+x", "\\ No newline..."
    numbers: bool = True

    def render(self) -> str:
        head = f"@@ -{self.old},{self.old_len} +{self.new},{self.new_len} @@" if self.numbers else "@@ @@"
        return "\n".join([head, *self.body])


@dataclass
class Diff:
    old_path: str
    new_path: str
    hunks: list[Hunk]
    fenced: bool = False
    final_newline: bool = True

    def render(self) -> str:
        text = "\n".join([f"--- {self.old_path}", f"+++ {self.new_path}", *(h.render() for h in self.hunks)])
        text += "\n" if self.final_newline else ""
        if self.fenced:
            text = ("Sure! Here is the change you asked for:\n\n```diff\n" + text.rstrip("\n")
                    + "\n```\n\nThis updates the file as requested; let me know if anything else is needed.\n")
        return text


def parse_clean(text: str) -> Diff:
    lines = text.split("\n")[:-1]
    d = Diff(lines[0][4:], lines[1][4:], [])
    for line in lines[2:]:
        m = _HDR.match(line)
        if m:
            d.hunks.append(Hunk(int(m[1]), int(m[2] or 1), int(m[3]), int(m[4] or 1), []))
        else:
            d.hunks[-1].body.append(line)
    return d


# --- damage: each takes (diff, rng) and changes it in place ------------------------------------

def _context_and_minus(h: Hunk):
    return [i for i, ln in enumerate(h.body) if ln[:1] in (" ", "-")]


def d_line_numbers(d: Diff, rng: random.Random) -> None:
    for h in d.hunks:
        shift = rng.choice([-1, 1]) * rng.randint(1, 40)
        h.old, h.new = max(1, h.old + shift), max(1, h.new + shift + rng.randint(-2, 2))
        h.old_len += rng.randint(-3, 3)
        h.new_len += rng.randint(-3, 3)


def d_no_numbers(d: Diff, rng: random.Random) -> None:
    for h in d.hunks:
        h.numbers = False


def d_trailing_ws(d: Diff, rng: random.Random) -> None:
    for h in d.hunks:
        for i in _context_and_minus(h):
            ln = h.body[i]
            if ln[1:] != ln[1:].rstrip():
                h.body[i] = ln.rstrip()
            elif rng.random() < 0.5:
                h.body[i] = ln + rng.choice([" ", "  ", "\t", "   "])


def d_indent_shift(d: Diff, rng: random.Random) -> None:
    """The whole hunk (context, - and +) written at the wrong indentation, uniformly."""
    for h in d.hunks:
        texts = [ln[1:] for ln in h.body if ln[:1] in " -+" and ln[1:].strip()]
        least = min((len(t) - len(t.lstrip(" ")) for t in texts), default=0)
        shift = rng.choice([-4, -2, 2, 4])
        if shift < 0 and least < -shift:
            shift = -shift
        for i, ln in enumerate(h.body):
            if ln[:1] in " -+" and ln[1:].strip():
                h.body[i] = ln[0] + (ln[1 - shift:] if shift < 0 else " " * shift + ln[1:])


def d_tabs(d: Diff, rng: random.Random) -> None:
    """Tabs turned to spaces (on a tab-indented variant of the files, see make_case).

    Context and - lines always; + lines too when the context visibly drifted (had leading tabs),
    which is when the engine promises the file's real indentation on added lines.
    """
    for h in d.hunks:
        drift = any(ln[:1] in " -" and ln[1:2] == "\t" for ln in h.body)
        for i, ln in enumerate(h.body):
            if ln[:1] in " -" or (ln[:1] == "+" and drift):
                t = ln[1:]
                ind = len(t) - len(t.lstrip("\t"))
                h.body[i] = ln[0] + "    " * ind + t[ind:]


def d_reindent_context(d: Diff, rng: random.Random) -> None:
    """Context and - lines re-typed with the other indentation character, + lines left as the file has them.

    A model that re-typed the context but copied its added lines from the file: on space-indented
    files each indentation step of the context becomes a tab, on the tab-indented variant (see
    make_case) each tab becomes four spaces. The engine must re-indent no added line here.
    """
    for h in d.hunks:
        widths = [len(ln[1:]) - len(ln[1:].lstrip(" ")) for ln in h.body if ln[:1] in " -+" and ln[1:].strip()]
        step = next((w for w in sorted(set(widths)) if w), 4)
        for i, ln in enumerate(h.body):
            if ln[:1] not in " -" or not ln[1:].strip():
                continue
            t = ln[1:]
            if t[:1] == "\t":
                ind = len(t) - len(t.lstrip("\t"))
                h.body[i] = ln[0] + "    " * ind + t[ind:]
            else:
                ind = len(t) - len(t.lstrip(" "))
                h.body[i] = ln[0] + "\t" * (ind // step) + " " * (ind % step) + t[ind:]


_CURLY = [("'", "\u2019"), ('"', "\u201c"), (" - ", " \u2013 "), ("--", "\u2014"), ("...", "\u2026")]


def d_unicode(d: Diff, rng: random.Random) -> None:
    for h in d.hunks:
        for i in _context_and_minus(h):
            ln = h.body[i]
            for a, b in _CURLY:
                if a in ln[1:] and rng.random() < 0.7:
                    ln = ln[0] + ln[1:].replace(a, b)
            h.body[i] = ln


def d_missing_context(d: Diff, rng: random.Random) -> None:
    """One context line dropped per hunk, never one right next to a + line (see next)."""
    for h in d.hunks:
        b = h.body
        ctx = [i for i, ln in enumerate(b) if ln[:1] == " "
               and not (i > 0 and b[i - 1][:1] == "+") and not (i + 1 < len(b) and b[i + 1][:1] == "+")]
        if ctx:
            del b[rng.choice(ctx)]


def d_missing_context_at_change(d: Diff, rng: random.Random) -> None:
    """The context line right next to added lines dropped: which side of the gap the addition goes
    is then unknowable, so the only right answer is a rejection (or luck); wrong must stay 0."""
    for h in d.hunks:
        b = h.body
        ctx = [i for i, ln in enumerate(b) if ln[:1] == " "
               and ((i > 0 and b[i - 1][:1] == "+") or (i + 1 < len(b) and b[i + 1][:1] == "+"))]
        if ctx:
            del b[rng.choice(ctx)]


def d_extra_context(d: Diff, rng: random.Random, before: str = "") -> None:
    pool = [ln for ln in before.split("\n") if ln.strip()] or ["pass"]
    for h in d.hunks:
        spots = [i for i in range(len(h.body) + 1)
                 if (i == 0 or h.body[i - 1][:1] == " ") and (i == len(h.body) or h.body[i][:1] == " ")]
        if spots:
            line = "" if rng.random() < 0.5 else rng.choice(pool)
            h.body.insert(rng.choice(spots), " " + line)


def d_prefixes(d: Diff, rng: random.Random) -> None:
    style = rng.choice(["none", "dot", "a-only"])
    p = d.old_path[2:]
    d.old_path, d.new_path = {"none": (p, p), "dot": ("./" + p, "./" + p), "a-only": ("a/" + p, p)}[style]


def d_out_of_order(d: Diff, rng: random.Random) -> None:
    d.hunks.reverse()


def d_no_final_newline(d: Diff, rng: random.Random) -> None:
    """Files without a final newline, a diff without the markers and without its own last newline."""
    for h in d.hunks:
        h.body = [ln for ln in h.body if not ln.startswith("\\")]
    d.final_newline = False


def d_crlf(d: Diff, rng: random.Random) -> None:
    pass  # the files are CRLF (see Case); the model's diff is plain LF


def d_fenced(d: Diff, rng: random.Random) -> None:
    d.fenced = True


DAMAGE = {
    "clean": lambda d, r: None,
    "line-numbers": d_line_numbers,
    "no-numbers": d_no_numbers,
    "trailing-ws": d_trailing_ws,
    "indent-shift": d_indent_shift,
    "tabs-to-spaces": d_tabs,
    "reindented-context": d_reindent_context,
    "unicode-punct": d_unicode,
    "missing-context": d_missing_context,
    "missing-context-at-change": d_missing_context_at_change,
    "extra-context": d_extra_context,
    "prefixes": d_prefixes,
    "out-of-order": d_out_of_order,
    "no-final-newline": d_no_final_newline,
    "crlf": d_crlf,
    "fenced-prose": d_fenced,
}
COMBINABLE = ["line-numbers", "no-numbers", "trailing-ws", "indent-shift", "unicode-punct", "missing-context",
              "extra-context", "prefixes", "out-of-order", "crlf", "fenced-prose"]
KINDS = [*DAMAGE, "combined"]
# Other edit formats, engine only (git apply and GNU patch read none of them): "format/damage".
FORMAT_KINDS = [f"{f}/{k}" for f in patch_formats.FORMATS for k in patch_formats.FORMAT_KINDS[f]]


def _to_tabs(text: str) -> str:
    out = []
    for ln in text.split("\n"):
        n = (len(ln) - len(ln.lstrip(" "))) // 4
        out.append("\t" * n + ln[4 * n:])
    return "\n".join(out)


def make_case(pair: Pair, kind: str, seed: int):
    """(before bytes, expected bytes, diff text, damages used) or None when the kind does not apply."""
    rng = random.Random(f"{seed}:{pair.package}:{pair.path}:{kind}")
    before, after = pair.before, pair.after
    fmt, _, kind = kind.rpartition("/")
    if fmt:
        return _format_case(pair, fmt, kind, rng)
    kinds = [kind] if kind != "combined" else rng.sample(COMBINABLE, 3)
    if "line-numbers" in kinds and "no-numbers" in kinds:
        kinds.remove("line-numbers")
    if "tabs-to-spaces" in kinds:
        before, after = _to_tabs(before), _to_tabs(after)
        if "\t" not in before:
            return None
    if "no-final-newline" in kinds:
        before, after = before.rstrip("\n"), after.rstrip("\n")
    diff = parse_clean(unified(before, after, pair.path))
    if "out-of-order" in kinds and len(diff.hunks) < 2 and kind != "combined":
        return None
    for k in kinds:
        if k == "extra-context":
            d_extra_context(diff, rng, before)
        else:
            DAMAGE[k](diff, rng)
    if "crlf" in kinds:
        before, after = before.replace("\n", "\r\n"), after.replace("\n", "\r\n")
    return before.encode(), after.encode(), diff.render(), kinds


def _format_case(pair: Pair, fmt: str, kind: str, rng: random.Random):
    """A case in another edit format: the same hunks, damaged the same ways, written in `fmt`."""
    before, after = pair.before, pair.after
    if not before.endswith("\n") or not after.endswith("\n"):
        return None  # apply_patch and SEARCH/REPLACE have no way to say "no newline at end of file"
    kinds = [kind] if kind != "combined" else rng.sample(patch_formats.COMBINABLE[fmt], 3)
    if "line-numbers" in kinds and "no-numbers" in kinds:
        kinds.remove("line-numbers")
    diff = parse_clean(unified(before, after, pair.path))
    if fmt == "numbered":
        patch_formats.number_lines(diff, before)
    for k in kinds:
        if k == "extra-context":
            d_extra_context(diff, rng, before)
        elif k == "trailing-ws":
            patch_formats.add_trailing_ws(diff, rng)
        elif k not in patch_formats.OWN_DAMAGE:
            DAMAGE[k](diff, rng)
    text = patch_formats.render(fmt, diff, pair.path, before, kinds, rng)
    return before.encode(), after.encode(), text, kinds


def _run_one(applier: str, path: str, before: bytes, after: bytes, diff: str, dump: Path | None = None) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "w")
        target = root / path
        target.parent.mkdir(parents=True)
        target.write_bytes(before)
        pfile = Path(tmp, "change.diff")
        pfile.write_text(diff)
        if applier == "engine":
            res = apply_patch(root, diff)
            ok = res.ok
            if dump is not None and not ok:
                dump.mkdir(parents=True, exist_ok=True)
                (dump / "diff.patch").write_text(diff)
                (dump / "before").write_bytes(before)
                (dump / "after").write_bytes(after)
                (dump / "result.txt").write_text(res.render())
        else:
            cmd = {"git apply": ["git", "apply", str(pfile)],
                   "git apply --recount --ignore-whitespace": ["git", "apply", "--recount", "--ignore-whitespace",
                                                               str(pfile)],
                   "patch --fuzz=3": ["patch", "-p1", "--fuzz=3", "-N", "-s", "-f", "--no-backup-if-mismatch",
                                      "-r", str(Path(tmp, "rej")), "-i", str(pfile)]}[applier]
            ok = subprocess.run(cmd, cwd=root, capture_output=True, timeout=60).returncode == 0
        now = target.read_bytes() if target.exists() else None
        if ok:
            return "correct" if now == after else "wrong"
        if applier == "engine" and now != before:
            return "wrong"  # refused but touched the file: the all-or-nothing promise broken
        return "rejected"


def run_case(args):
    pair, kind, seed, dump_root, appliers = args
    case = make_case(pair, kind, seed)
    if case is None:
        return None
    before, after, diff, _ = case
    if "/" in kind:
        appliers = ["engine"]
    dump = None
    if dump_root is not None:  # one directory per engine rejection, to study why it refused
        dump = Path(dump_root, kind, f"{pair.package}__{pair.path.replace('/', '__')}")
    out = {a: _run_one(a, pair.path, before, after, diff, dump if a == "engine" else None) for a in appliers}
    return kind, f"{pair.package}/{pair.path}", out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="use only the first N file pairs")
    ap.add_argument("--kinds", default="", help="comma-separated damage kinds (default: all)")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--engine-only", action="store_true", help="skip the baselines (quick iterations)")
    ap.add_argument("--dump", type=Path, default=None,
                    help="write each engine rejection (diff, before, after, result) under this directory, "
                         "e.g. bench/.cache/patch-rejects")
    ns = ap.parse_args(argv)
    pairs = load_pairs()
    if ns.limit:
        pairs = pairs[: ns.limit]
    kinds = ns.kinds.split(",") if ns.kinds else [*KINDS, *FORMAT_KINDS]
    if ns.dump is not None and ns.dump.exists():
        shutil.rmtree(ns.dump)
    appliers = ["engine"] if ns.engine_only else APPLIERS
    jobs = [(p, k, ns.seed, ns.dump, appliers) for k in kinds for p in pairs]
    t0 = time.time()
    table: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    failures: list[str] = []
    with ProcessPoolExecutor(ns.jobs) as ex:
        for res in ex.map(run_case, jobs, chunksize=8):
            if res is None:
                continue
            kind, name, out = res
            for a, verdict in out.items():
                table[kind][a][verdict] += 1
            if out["engine"] != "correct":
                failures.append(f"{kind}: {name}: {out['engine']}")
    report = render(table, kinds, len(pairs), time.time() - t0, failures, appliers)
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(report)
    print(report)
    return 0


def render(table, kinds, npairs: int, secs: float, failures: list[str], appliers=APPLIERS) -> str:
    lines = [
        "# Patch engine benchmark",
        "",
        f"{npairs} real before/after file pairs (two releases each of "
        "requests, click, attrs, jinja2, packaging, rich, flask, pluggy sdists from PyPI), one unified diff "
        "per pair (3 lines of context), damaged per kind; `combined` = 3 random kinds at once. "
        "tabs-to-spaces runs on a tab-indented variant of each file; out-of-order only on multi-hunk diffs; "
        "missing-context-at-change drops the context line right next to added lines, so which side of "
        "the gap they go is unknowable: there a rejection is the right answer and only *wrong* matters. "
        "Below the unified-diff rows, the same hunks in the other edit formats apply_diff takes "
        "(format/damage; see patch_formats.py): engine only, as neither git apply nor GNU patch reads them. "
        f"Each cell: correct / rejected / wrong. Run time {secs:.0f}s.",
        "",
        "| damage | cases | " + " | ".join(appliers) + " |",
        "|---|---:|" + "---|" * len(appliers),
    ]
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    format_totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for kind in kinds:
        if kind not in table:
            continue
        if "/" in kind and not any("/" in k for k in lines[-1].split("|")[1:2]):
            lines.append("| *other edit formats (engine only)* | | " + " | ".join("" for _ in appliers) + " |")
        row = table[kind]
        n = sum(row["engine"].values())
        cells = []
        for a in appliers:
            c = row[a]
            for v in ("correct", "rejected", "wrong"):
                (format_totals if "/" in kind else totals)[a][v] += c[v]
            cells.append(f"{c['correct']} / {c['rejected']} / {c['wrong']}" if sum(c.values()) else "n/a")
        lines.append(f"| {kind} | {n} | " + " | ".join(cells) + " |")
    def total_row(label: str, tot) -> str:
        n = sum(tot["engine"].values())
        cells = [f"**{tot[a]['correct']} / {tot[a]['rejected']} / {tot[a]['wrong']}** "
                 f"({100 * tot[a]['correct'] / max(1, n):.1f}%)" for a in appliers]
        return f"| **{label}** | {n} | " + " | ".join(cells) + " |"

    lines.append(total_row("total", totals))
    if "missing-context-at-change" in table:
        # That row has no recoverable answer (see d_missing_context_at_change): only "wrong" counts.
        decidable = {a: {v: totals[a][v] - table["missing-context-at-change"][a][v]
                         for v in ("correct", "rejected", "wrong")} for a in appliers}
        lines.append(total_row("total, decidable kinds", decidable))
    if format_totals:
        lines.append(total_row("total, other edit formats", format_totals))
    lines += ["", f"Engine cases not applied correctly: {len(failures)}", ""]
    lines += [f"- {f}" for f in failures[:400]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
