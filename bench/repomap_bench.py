"""Repo map benchmark: our map against aider's on one large real tree, in the same run.

    python bench/repomap_bench.py [--package django==5.2.19] [--budget 1024] [--runs 3]

The tree is a source distribution from PyPI (Django by default: ~6,900 files, ~2,800 Python
modules), unpacked under bench/.cache and committed to a fresh git repository. Each measurement
runs in a fresh process: "cold" starts from an empty cache, "warm" from the cache the cold run
left. Peak memory is the largest resident set of the process or of any worker it started.

aider runs from its own venv (bench/.cache/aider-venv, created with `pip install aider-chat` when
missing), with its RepoMap given every file of the tree and the same token budget; its cold run
deletes its tags cache first. The same venv's tiktoken ships o200k_base inside litellm, which
calibrates our offline chars-per-token estimate. Results go to bench/results/repomap.md.

Ours is measured cold (empty cache), warm (same tree and focus: the cached map, nothing parsed
or ranked, which the counters confirm), with a new focus on a warm tree (the cached index is
ranked), and as `agent map --focus …` run from the shell.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
VENV = CACHE / "aider-venv"
OUT = HERE / "results" / "repomap.md"

OURS = textwrap.dedent("""
    import json, resource, sys, time
    t0 = time.perf_counter()
    from pathlib import Path
    from agent.repomap import RepoMap
    root, cache, budget, focus = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[5]
    rm = RepoMap(root, cache_dir=cache)
    t1 = time.perf_counter()
    res = rm.render(focus_text=focus, budget_tokens=budget)
    t2 = time.perf_counter()
    self, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = max(self.ru_maxrss, kids.ru_maxrss) / 1024
    cpu = self.ru_utime + self.ru_stime + kids.ru_utime + kids.ru_stime
    Path(sys.argv[4]).write_text(res.text)
    print(json.dumps({"render": t2 - t1, "process": t2 - t0, "cpu": cpu, "peak_mb": peak,
                      "files": res.total_files, "symbols": res.total_symbols, "tokens": res.tokens,
                      "shown_files": res.files, "tokenizer": res.tokenizer, "counters": rm.counters}))
""")

AIDER = textwrap.dedent("""
    import json, os, resource, subprocess, sys, time
    t0 = time.perf_counter()
    from aider.io import InputOutput
    from aider.models import Model
    from aider.repomap import RepoMap
    root, budget = sys.argv[1], int(sys.argv[2])
    files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.split()
    files = [os.path.join(root, f) for f in files]
    rm = RepoMap(map_tokens=budget, root=root, main_model=Model("gpt-4o"),
                 io=InputOutput(yes=True, pretty=False), verbose=False)
    t1 = time.perf_counter()
    text = rm.get_repo_map([], files) or ""
    t2 = time.perf_counter()
    me = resource.getrusage(resource.RUSAGE_SELF)
    peak, cpu = me.ru_maxrss / 1024, me.ru_utime + me.ru_stime
    print(json.dumps({"render": t2 - t1, "process": t2 - t0, "peak_mb": peak, "cpu": cpu,
                      "tokens": rm.token_count(text), "map_files": text.count(":\\n")}))
""")

CALIBRATE = textwrap.dedent("""
    import json, sys, tiktoken
    enc = tiktoken.get_encoding("o200k_base")
    out = []
    for path in sys.argv[1:]:
        text = open(path, encoding="utf-8").read()
        out.append([len(text), len(enc.encode_ordinary(text))])
    print(json.dumps(out))
""")


def run(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}… failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def prepare_tree(spec: str) -> Path:
    name = spec.replace("==", "-")
    repo = CACHE / f"{name}-repo"
    if (repo / ".git").is_dir():
        return repo
    dl = CACHE / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", spec, "-d", str(dl)])
    pkg = spec.split("==")[0].lower()
    archive = next(p for p in dl.iterdir() if p.name.lower().startswith(pkg) and p.name.endswith(".tar.gz"))
    unpacked = CACHE / "unpacked"
    shutil.rmtree(unpacked, ignore_errors=True)
    with tarfile.open(archive) as tar:
        top = tar.getnames()[0].split("/")[0]
        tar.extractall(unpacked, filter="data")
    shutil.copytree(unpacked / top, repo)  # a copy is ours: git refuses trees owned by another uid
    shutil.rmtree(unpacked)
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@x"}
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "sdist"]):
        run(["git", *cmd], env=env, cwd=repo)
    return repo


def aider_python() -> Path:
    py = VENV / "bin" / "python"
    if not py.exists():
        run([sys.executable, "-m", "venv", str(VENV)])
        run([str(py), "-m", "pip", "install", "-q", "aider-chat"])
    return py


FOCUS = "QuerySet.filter is slow in django/db/models/query.py"
FOCUS2 = "fix the crash in Concat with JSONObject on PostgreSQL"


def ours(repo: Path, cache: Path, budget: int, text_out: Path, focus: str = FOCUS) -> dict:
    return json.loads(run([sys.executable, "-c", OURS, str(repo), str(cache), str(budget), str(text_out), focus]))


def cli(repo: Path, budget: int) -> dict:
    """`agent map` as a person runs it (default cache, in the tree's .git): wall and CPU time."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(time.perf_counter() - t, r.ru_utime + r.ru_stime)")
    cmd = [sys.executable, "-m", "agent", "map", "--budget", str(budget), "--focus", FOCUS, str(repo)]
    wall, cpu = run([sys.executable, "-c", code, *cmd], cwd=HERE.parent).split()
    return {"process": float(wall), "cpu": float(cpu)}


def aider(py: Path, repo: Path, budget: int) -> dict:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "AIDER_ANALYTICS": "false"}
    return json.loads(run([str(py), "-c", AIDER, str(repo), str(budget)], env=env).strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", default="django==5.2.19")
    ap.add_argument("--budget", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-aider", action="store_true")
    ap.add_argument("--aider-python", default="")
    args = ap.parse_args()
    repo = prepare_tree(args.package)
    n_files = len(run(["git", "ls-files"], cwd=repo).splitlines())
    work = CACHE / "repomap-work"
    work.mkdir(parents=True, exist_ok=True)

    cold, warm, refocus, cli_runs = [], [], [], []
    for i in range(args.runs):
        cache = work / f"cache-{i}"
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(ours(repo, cache, args.budget, work / "ours-cold.txt"))
        warm.append(ours(repo, cache, args.budget, work / "ours.txt"))
        refocus.append(ours(repo, cache, args.budget, work / "ours-refocus.txt", f"{FOCUS2} ({i})"))
    ours(repo, work / "cache-0", 8192, work / "ours-8k.txt")
    cli(repo, args.budget)  # fills the default cache
    cli_runs = [cli(repo, args.budget) for _ in range(max(5, args.runs))]

    rows_aider: dict[str, list[dict]] = {"cold": [], "warm": []}
    calib = None
    if not args.no_aider:
        py = Path(args.aider_python) if args.aider_python else aider_python()
        for _ in range(max(1, args.runs - 1)):
            shutil.rmtree(repo / ".aider.tags.cache.v4", ignore_errors=True)
            rows_aider["cold"].append(aider(py, repo, args.budget))
            rows_aider["warm"].append(aider(py, repo, args.budget))
        tok_dir = next(py.parents[1].glob("lib/python*/site-packages/litellm/litellm_core_utils/tokenizers"), None)
        if tok_dir is not None:
            env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tok_dir)}
            texts = [work / "ours.txt", work / "ours-8k.txt"]
            calib = json.loads(run([str(py), "-c", CALIBRATE, *map(str, texts)], env=env))
    report(args, n_files, cold, warm, refocus, cli_runs, rows_aider, calib)


def report(args, n_files, cold, warm, refocus, cli_runs, rows_aider, calib) -> None:
    med = statistics.median
    assert all(r["counters"]["parsed"] == 0 and r["counters"]["ranked"] == 0 for r in warm)
    lines = [
        "# Repo map benchmark",
        "",
        f"Tree: `{args.package}` sdist from PyPI, committed to a git repository: {n_files} files "
        f"({cold[0]['files']} mapped after skipping binaries, vendored and generated files), "
        f"{cold[0]['symbols']} definitions found. Budget {args.budget} tokens. "
        f"Machine: {os.cpu_count()} cores, shared with other work (medians of {args.runs} runs; "
        "each run a fresh process). CPU is user + system time of the process and its children "
        "(git, parse workers): less sensitive than wall time to what else the machine runs.",
        "",
        "| | render | process | CPU | peak RSS |",
        "|---|---|---|---|---|",
        f"| ours, cold (empty cache) | {med(r['render'] for r in cold):.2f} s | {med(r['process'] for r in cold):.2f} s "
        f"| {med(r['cpu'] for r in cold):.2f} s | {max(r['peak_mb'] for r in cold):.0f} MB |",
        f"| ours, warm (same tree and focus: nothing parsed or ranked) | {med(r['render'] for r in warm):.3f} s "
        f"| {med(r['process'] for r in warm):.3f} s | {med(r['cpu'] for r in warm):.3f} s "
        f"| {max(r['peak_mb'] for r in warm):.0f} MB |",
        f"| ours, warm tree, new focus (ranked, nothing parsed) | {med(r['render'] for r in refocus):.3f} s "
        f"| {med(r['process'] for r in refocus):.3f} s | {med(r['cpu'] for r in refocus):.3f} s "
        f"| {max(r['peak_mb'] for r in refocus):.0f} MB |",
        f"| `agent map --focus …`, warm | – | {med(r['process'] for r in cli_runs):.3f} s "
        f"| {med(r['cpu'] for r in cli_runs):.3f} s | – |",
    ]
    if rows_aider["cold"]:
        ac, aw = rows_aider["cold"], rows_aider["warm"]
        lines += [
            f"| aider RepoMap, cold | {med(r['render'] for r in ac):.2f} s | {med(r['process'] for r in ac):.2f} s "
            f"| {med(r['cpu'] for r in ac):.2f} s | {max(r['peak_mb'] for r in ac):.0f} MB |",
            f"| aider RepoMap, warm | {med(r['render'] for r in aw):.3f} s | {med(r['process'] for r in aw):.3f} s "
            f"| {med(r['cpu'] for r in aw):.3f} s | {max(r['peak_mb'] for r in aw):.0f} MB |",
        ]
        ratio_cold = med(r["render"] for r in ac) / med(r["render"] for r in cold)
        ratio_warm = med(r["process"] for r in aw) / med(r["process"] for r in warm)
        cpu_cold = med(r["cpu"] for r in ac) / med(r["cpu"] for r in cold)
        lines += ["", f"Ratio (aider / ours): cold render {ratio_cold:.1f}× (CPU {cpu_cold:.1f}×), "
                  f"warm process {ratio_warm:.1f}×. "
                  f"aider's map: {med(r['tokens'] for r in ac):.0f} tokens (its count); "
                  f"ours: {cold[0]['tokens']} tokens ({cold[0]['tokenizer']}), "
                  f"{cold[0]['shown_files']} files shown."]
    if calib:
        ratio = sum(c for c, _ in calib) / sum(t for _, t in calib)
        lines += ["", "Token estimate calibration against tiktoken o200k_base (from litellm's bundled "
                  f"copy): map text averages {ratio:.2f} characters per token "
                  f"({', '.join(f'{c} chars = {t} tokens' for c, t in calib)})."]
    lines += ["", "Rows: `render` is RepoMap.render / aider's get_repo_map; `process` adds Python "
              "start-up and imports. Run: `python bench/repomap_bench.py`.", ""]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
