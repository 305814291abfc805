"""Does the map show what a real change needed? Recall at a token budget, ours against aider's.

    python bench/repomap_rank_bench.py [--aider-python PATH] [--sdists DIR] [--budgets 1024,2048,4096]

Each case is a real release of a real project: the tree is the previous release's sdist from
PyPI (committed to a fresh git repository in a temporary directory), the focus text is the
release's own changelog entry as shipped in the new sdist, and the answer is the set of library
files the release changed (Python files that differ between the two sdists, less tests, docs,
stubs and files whose only change is a version string). Recall at a budget is the share of the
answer that appears among the files the map lists. Pooled per project: hits / answer files.

aider's RepoMap gets the same tree, the same budget (its map_tokens), and what aider's own coder
derives from the message: mentioned file names (get_file_mentions, get_ident_filename_matches)
and mentioned identifiers (get_ident_mentions). Both maps are counted again with tiktoken
o200k_base from aider's venv (litellm ships the file), so the budgets are compared in real
tokens. Results go to bench/results/repomap-recall.md.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "repomap-recall.md"
sys.path.insert(0, str(HERE.parent))
from agent.repomap.index import is_minor  # noqa: E402

# (project, previous release, release, changelog file in the new sdist, how its entry starts)
CASES = [
    ("Django", "5.1.1", "5.1.2", "docs/releases/{new}.txt", None),
    ("Django", "5.1.2", "5.1.3", "docs/releases/{new}.txt", None),
    ("Django", "5.1.3", "5.1.4", "docs/releases/{new}.txt", None),
    ("attrs", "24.1.0", "24.2.0", "CHANGELOG.md", r"^## \[{new}\]"),
    ("attrs", "24.2.0", "24.3.0", "CHANGELOG.md", r"^## \[{new}\]"),
    ("requests", "2.32.2", "2.32.3", "HISTORY.md", r"^{new} \("),
    ("requests", "2.32.3", "2.32.4", "HISTORY.md", r"^{new} \("),
    ("click", "8.1.6", "8.1.7", "CHANGES.rst", r"^Version {new}$"),
    ("click", "8.1.7", "8.1.8", "CHANGES.rst", r"^Version {new}$"),
]
_NEXT_ENTRY = {"CHANGELOG.md": r"^## \[", "HISTORY.md": r"^\d+\.\d+\.\d+ \(", "CHANGES.rst": r"^Version \d"}

OURS = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from agent.repomap import RepoMap
    root, cache, focus = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    rm = RepoMap(root, cache_dir=cache)
    print(json.dumps({b: rm.render(focus_text=focus, budget_tokens=int(b)).text for b in sys.argv[4:]}))
""")

AIDER = textwrap.dedent("""
    import json, os, subprocess, sys
    from types import SimpleNamespace
    from aider.coders.base_coder import Coder
    from aider.io import InputOutput
    from aider.models import Model
    from aider.repomap import RepoMap
    root, focus = sys.argv[1], sys.argv[2]
    rel = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.split()
    files = [os.path.join(root, f) for f in rel]
    me = SimpleNamespace(get_all_relative_files=lambda: rel)
    fnames = Coder.get_file_mentions(me, focus, ignore_current=True)
    idents = Coder.get_ident_mentions(me, focus)
    fnames |= Coder.get_ident_filename_matches(me, idents)
    out = {}
    for b in sys.argv[3:]:
        rm = RepoMap(map_tokens=int(b), root=root, main_model=Model("gpt-4o"),
                     io=InputOutput(yes=True, pretty=False), verbose=False)
        out[b] = rm.get_repo_map([], files, mentioned_fnames=fnames, mentioned_idents=idents) or ""
    print(json.dumps(out))
""")

COUNT = textwrap.dedent("""
    import json, sys, tiktoken
    enc = tiktoken.get_encoding("o200k_base")
    print(json.dumps([len(enc.encode_ordinary(t)) for t in json.load(sys.stdin)]))
""")


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, stdin: str | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, input=stdin)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}… failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def sdist(name: str, version: str, sdists: Path) -> Path:
    spec = f"{name}=={version}"
    found = [p for p in sdists.glob("*.tar.gz") if p.name.lower() == f"{name}-{version}.tar.gz".lower()]
    if not found:
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", spec,
             "-d", str(sdists)])
        return sdist(name, version, sdists)
    return found[0]


def unpack(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        top = tar.getnames()[0].split("/")[0]
        tar.extractall(into, filter="data")
    return into / top


def commit(tree: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@x"}
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "sdist"]):
        run(["git", "-c", f"safe.directory={tree}", *cmd], cwd=tree, env=env)


def changelog(new_tree: Path, name: str, new: str, template: str, start: str | None) -> str:
    text = (new_tree / template.format(new=new)).read_text(encoding="utf-8")
    if start is None:  # a file per release (Django): all of it but the title
        return "\n".join(ln for ln in text.splitlines()[3:] if not set(ln) <= set("=-*~ "))
    lines = text.splitlines()
    first = next(i for i, ln in enumerate(lines) if re.match(start.format(new=re.escape(new)), ln))
    nxt = _NEXT_ENTRY[template]
    end = next((i for i in range(first + 1, len(lines)) if re.match(nxt, lines[i])), len(lines))
    return "\n".join(lines[first + 1 : end]).strip()


def touched(old: Path, new: Path) -> list[str]:
    """Library .py files the release changed (see the module docstring)."""
    out = []
    for path in sorted(p.relative_to(old).as_posix() for p in old.rglob("*.py")):
        if is_minor(path) or path.startswith(("docs/", "doc/")) or path == "setup.py":
            continue
        other = new / path
        if not other.is_file():
            continue
        a = (old / path).read_text(encoding="utf-8", errors="replace").splitlines()
        b = other.read_text(encoding="utf-8", errors="replace").splitlines()
        if a == b:
            continue
        changed = [ln for ln in difflib.unified_diff(a, b, lineterm="", n=0)
                   if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
        removed = sorted(re.sub(r"0x[0-9a-fA-F]+|\d+", "#", ln[1:]) for ln in changed if ln[0] == "-")
        added = sorted(re.sub(r"0x[0-9a-fA-F]+|\d+", "#", ln[1:]) for ln in changed if ln[0] == "+")
        if removed == added:
            continue  # only numbers changed: a version bump, nothing a map should find
        out.append(path)
    return out


def listed(text: str, paths: set[str]) -> set[str]:
    """The files a map lists: a line that is a path, with or without a trailing colon."""
    return {ln.rstrip(":") for ln in text.splitlines() if ln.rstrip(":") in paths}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--aider-python", default=str(HERE / ".cache" / "aider-venv" / "bin" / "python"))
    ap.add_argument("--sdists", default=str(HERE / ".cache" / "dl"))
    ap.add_argument("--budgets", default="1024,2048,4096")
    ap.add_argument("--only", default="", help="comma-separated projects (default: all)")
    ap.add_argument("--no-write", action="store_true", help="print, do not write the results file")
    ap.add_argument("--no-aider", action="store_true", help="ours only (while tuning)")
    ap.add_argument("--parse-cache", default="", help="start from this repo map cache's parse records")
    ap.add_argument("--rows", default="", help="re-render the results from a run's stderr (JSON lines)")
    args = ap.parse_args()
    if args.rows:
        rows = [json.loads(ln) for ln in Path(args.rows).read_text().splitlines() if ln.startswith("{")]
        write(rows, args.budgets.split(","), not args.no_write)
        return
    budgets = args.budgets.split(",")
    sdists = Path(args.sdists)
    sdists.mkdir(parents=True, exist_ok=True)
    aider_py = Path(args.aider_python)
    if not aider_py.exists():
        run([sys.executable, "-m", "venv", str(aider_py.parents[1])])
        run([str(aider_py), "-m", "pip", "install", "-q", "aider-chat"])
    env_aider = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "AIDER_ANALYTICS": "false"}
    tok_dir = next((aider_py.parents[1] / "lib").glob("python*/site-packages/litellm/litellm_core_utils/tokenizers"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="repomap-rank-") as tmp:
        work = Path(tmp)
        if args.parse_cache:  # parse records only: the ranking under test is computed afresh
            shutil.copytree(args.parse_cache, work / "cache", ignore=shutil.ignore_patterns("index", "focus"))
        for name, old_v, new_v, template, start in CASES:
            if args.only and name not in args.only.split(","):
                continue
            old = unpack(sdist(name, old_v, sdists), work / "old")
            new = unpack(sdist(name, new_v, sdists), work / "new")
            focus = changelog(new, name, new_v, template, start)
            answer = touched(old, new)
            commit(old)
            paths = set(run(["git", "-c", f"safe.directory={old}", "ls-files"], cwd=old).splitlines())
            ours = json.loads(run([sys.executable, "-c", OURS, str(old), str(work / "cache"), focus, *budgets],
                                  cwd=HERE.parent))
            theirs = dict.fromkeys(budgets, "") if args.no_aider else json.loads(run(
                [str(aider_py), "-c", AIDER, str(old), focus, *budgets], env=env_aider).strip().splitlines()[-1])
            texts = [ours[b] for b in budgets] + [theirs[b] for b in budgets]
            tokens = json.loads(run([str(aider_py), "-c", COUNT], stdin=json.dumps(texts),
                                    env={**os.environ, "TIKTOKEN_CACHE_DIR": str(tok_dir)}))
            row = {"project": name, "release": f"{old_v} → {new_v}", "answer": answer, "focus_chars": len(focus)}
            for k, b in enumerate(budgets):
                row[f"ours_{b}"] = sorted(listed(ours[b], paths) & set(answer))
                row[f"aider_{b}"] = sorted(listed(theirs[b], paths) & set(answer))
                row[f"ours_tokens_{b}"] = tokens[k]
                row[f"aider_tokens_{b}"] = tokens[len(budgets) + k]
                row[f"ours_files_{b}"] = len(listed(ours[b], paths))
                row[f"aider_files_{b}"] = len(listed(theirs[b], paths))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
            shutil.rmtree(work / "old")
            shutil.rmtree(work / "new")
    write(rows, budgets, not args.no_write)


def write(rows: list[dict], budgets: list[str], to_file: bool) -> None:
    head = " | ".join(f"{int(b) // 1024}k ours | {int(b) // 1024}k aider" for b in budgets)
    lines = ["# Repo map ranking: recall at budget", "",
             "For each real release: the tree is the previous sdist, the focus its changelog entry, the "
             "answer the library files the release changed (see bench/repomap_rank_bench.py). Recall: "
             "answer files the map lists / answer files.", "",
             f"| project | releases | answer files | {head} |",
             "|---|---|---:|" + "---:|" * (2 * len(budgets))]
    for project in dict.fromkeys(r["project"] for r in rows):
        mine = [r for r in rows if r["project"] == project]
        total = sum(len(r["answer"]) for r in mine)
        cells = []
        for b in budgets:
            for who in ("ours", "aider"):
                hits = sum(len(r[f"{who}_{b}"]) for r in mine)
                cells.append(f"{hits}/{total} ({hits / total:.0%})" if total else "–")
        lines.append(f"| {project} | {len(mine)} | {total} | " + " | ".join(cells) + " |")
    total = sum(len(r["answer"]) for r in rows)
    cells = []
    for b in budgets:
        for who in ("ours", "aider"):
            hits = sum(len(r[f"{who}_{b}"]) for r in rows)
            cells.append(f"**{hits}/{total} ({hits / total:.0%})**")
    lines.append(f"| all | {len(rows)} | {total} | " + " | ".join(cells) + " |")
    for who in ("ours", "aider"):
        over = max(r[f"{who}_tokens_{b}"] / int(b) for r in rows for b in budgets)
        lines.append(f"\nLargest {who} map against its budget, in o200k tokens: {over:.0%} "
                     f"({sum(r[f'{who}_tokens_{b}'] > int(b) for r in rows for b in budgets)} of "
                     f"{len(rows) * len(budgets)} maps over budget).")
    lines += ["", "Per release (files found; map size in o200k tokens and files listed):", ""]
    for r in rows:
        lines.append(f"- {r['project']} {r['release']}: answer {', '.join(r['answer']) or '(none)'}")
        for b in budgets:
            lines.append(f"  - {b}: ours {len(r[f'ours_{b}'])} ({r[f'ours_tokens_{b}']} tok, "
                         f"{r[f'ours_files_{b}']} files), aider {len(r[f'aider_{b}'])} "
                         f"({r[f'aider_tokens_{b}']} tok, {r[f'aider_files_{b}']} files)")
    lines += ["", "Run: `python bench/repomap_rank_bench.py`.", ""]
    if to_file:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
