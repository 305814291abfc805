"""Model-layer benchmark: tokens sent, cached share and peak context, with and without compaction.

Runs two scripted sessions through build_model -> the real `openai` SDK -> the replay server
(which computes cached tokens from repeated prompt prefixes per prompt_cache_key, as OpenAI does:
nothing below 1024 tokens, in steps of 128):

    demo   fixtures/demo/session.json (the `agent demo` script), tool outputs from its repo
    long   fixtures/model/long_session.json: 30 model turns, 28 tool calls over a made-up repo

    python bench/model_bench.py            # writes bench/results/model.md
    python bench/model_bench.py --rebuild  # regenerates fixtures/model/long_session.json first

The driver plays the loop's part (append the turn, answer each tool call, switch from plan tools
to step tools after submit_plan) so the prompt grows as in a real session.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.config import Config  # noqa: E402
from agent.core import prompts  # noqa: E402
from agent.core.conversation import Conversation  # noqa: E402
from agent.model import build_model  # noqa: E402
from agent.testing.replay import ReplayServer  # noqa: E402
from agent.tools.specs import PLAN_TOOLS, STEP_TOOLS  # noqa: E402

DEMO = ROOT / "fixtures" / "demo" / "session.json"
LONG = ROOT / "fixtures" / "model" / "long_session.json"
RESULTS = ROOT / "bench" / "results" / "model.md"
LIMIT = 8_000  # the configured context window for the "with compaction" runs (tokens)


def _fake_module(n: int) -> str:
    lines = [f'"""Module {n}: part of the made-up billing service."""', "", "import math", ""]
    for k in range(12):
        lines += [f"def compute_{n}_{k}(amount: float, rate: float = 0.{k + 1}) -> float:",
                  f'    """Apply rate {k} to an amount, rounding half up to cents."""',
                  "    value = amount * (1 + rate)",
                  "    return math.floor(value * 100 + 0.5) / 100", ""]
    return "\n".join(lines)


def build_long_session() -> dict:
    def call(name: str, **arguments):
        return {"name": name, "arguments": arguments}

    turns = [{"reasoning": "Map the repo before planning.", "tool_calls": [call("repo_map", focus="rounding")]}]
    for n in range(6):
        turns.append({"tool_calls": [call("read_file", path=f"billing/mod{n}.py", start_line=None, end_line=None)]})
    turns.append({"tool_calls": [call("submit_plan", summary="Round money half-even everywhere.", steps=[
        {"title": "Use decimal rounding", "description": "Replace float rounding in billing/*.py.",
         "files": [f"billing/mod{n}.py" for n in range(6)]}])]})
    for n in range(6):
        diff = (f"--- a/billing/mod{n}.py\n+++ b/billing/mod{n}.py\n@@ -1,3 +1,3 @@\n"
                f'-"""Module {n}: part of the made-up billing service."""\n'
                f'+"""Module {n}: billing, rounding half-even."""\n')
        turns.append({"reasoning": f"Patch module {n}.", "tool_calls": [call("apply_diff", diff=diff)]})
        turns.append({"tool_calls": [call("run_tests", args=f"tests/test_mod{n}.py")]})
    for n in range(6, 14):
        turns.append({"tool_calls": [call("search_code", pattern=f"compute_{n % 6}_", path=None)]})
    turns.append({"tool_calls": [call("run_tests", args=None)]})
    turns.append({"tool_calls": [call("finish_step", summary="Money is rounded half-even in all modules.")]})
    turns.append({"text": "Done: all billing modules round half-even and the tests pass."})
    return {"description": "long scripted session for bench/model_bench.py", "turns": turns}


def tool_output(name: str, args: dict, repo: Path | None) -> str:
    if name == "read_file" and repo is not None and (repo / args["path"]).is_file():
        return (repo / args["path"]).read_text()
    if name == "read_file":
        n = int("".join(ch for ch in args["path"] if ch.isdigit()) or 0)
        return _fake_module(n)
    if name == "list_files" and repo is not None:
        return "\n".join(str(p.relative_to(repo)) for p in sorted(repo.rglob("*")) if p.is_file())
    if name == "run_tests":
        return "===== 42 passed in 0.31s =====\n" + "PASSED tests/test_x.py::test_case\n" * 20
    if name == "search_code":
        return "\n".join(f"billing/mod{k}.py:{5 * k + 1}:def {args['pattern']}{k}(amount, rate):" for k in range(12))
    if name == "repo_map":
        return "\n".join(f"billing/mod{n}.py: compute_{n}_0..11(amount, rate)" for n in range(14)) * 3
    return f"{name}: ok"


def run(script: dict, intent: str, *, api: str, window: int | None, repo: Path | None) -> dict:
    turns = [{k: v for k, v in t.items() if k != "expect"} for t in script["turns"]]
    events: list[tuple[str, dict]] = []
    compaction = {"context_window": window} if window else {"enabled": False}
    # Summaries for Chat-path compaction come from the instant tier: a second server plays it.
    summaries = {"turns": [{"text": f"- summary {k}: modules read, patched and tested so far; see the plan"}
                           for k in range(40)]}
    with ReplayServer({"turns": turns}) as srv, ReplayServer(summaries) as summarizer:
        models = {"instant": {"model": "gpt-5.2", "api": api, "base_url": summarizer.base_url}}
        cfg = Config(base_url=srv.base_url, api=api, compaction=compaction, models=models)
        model = build_model(cfg, lambda t, **f: events.append((t, f)), session_id="bench",
                            env={"AGENT_RETRY_BASE_DELAY": "0.01"})
        conv = Conversation(prompts.load("system.md"))
        conv.add_user(intent)
        conv.pin("intent", intent)
        tools = PLAN_TOOLS
        plan_summary = None
        start = time.perf_counter()
        for _ in turns:
            turn = model.respond(conv, tools, "plan" if tools is PLAN_TOOLS else "edit")
            conv.add_turn(turn)
            for call in turn.tool_calls:
                conv.add_tool_output(call.call_id, tool_output(call.name, call.args(), repo))
                if call.name == "submit_plan":
                    conv.pin("plan", json.dumps(call.args()))
                    plan_summary = call.args()["summary"]
                    tools = STEP_TOOLS
        elapsed = time.perf_counter() - start
        last = [r for r in srv.requests if r["path"].endswith(("/responses", "/chat/completions"))][-1]
        plan_kept = plan_summary is not None and plan_summary in json.dumps(last["body"], ensure_ascii=False)
        totals = {k: srv.totals[k] + (summarizer.totals[k] if k != "peak_input" else 0) for k in srv.totals}
        totals["peak_input"] = max(srv.totals["peak_input"], summarizer.totals["peak_input"])
    calls = sum(len(t.get("tool_calls", [])) for t in turns)
    return {"turns": len(turns), "tool_calls": calls, "input": totals["input"], "cached": totals["cached"],
            "share": totals["cached"] / totals["input"] if totals["input"] else 0.0,
            "peak": totals["peak_input"], "compactions": sum(1 for t, _ in events if t == "context_compacted"),
            "plan_kept": plan_kept,
            "cost": model.cost, "seconds": elapsed}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rebuild", action="store_true", help="regenerate fixtures/model/long_session.json")
    opts = ap.parse_args()
    if opts.rebuild or not LONG.exists():
        LONG.parent.mkdir(parents=True, exist_ok=True)
        LONG.write_text(json.dumps(build_long_session(), indent=1) + "\n")
    sessions = [
        ("demo", json.loads(DEMO.read_text()), "Move password hashing from MD5 to argon2.",
         ROOT / "fixtures" / "demo" / "repo"),
        ("long", json.loads(LONG.read_text()), "Round money half-even everywhere in billing.", None),
    ]
    rows = []
    for name, script, intent, repo in sessions:
        for api in ("responses", "chat"):
            for window in (None, LIMIT):
                r = run(script, intent, api=api, window=window, repo=repo)
                rows.append((name, api, "on" if window else "off", r))
    lines = [
        "# Model layer benchmark", "",
        f"`python bench/model_bench.py` on {time.strftime('%Y-%m-%d')}: scripted sessions through the real "
        "`openai` SDK to the replay server, which counts tokens as ceil(chars/4) of the canonical prompt and "
        "cached tokens as the longest prefix shared with an earlier prompt of the same prompt_cache_key "
        "(0 below 1024, steps of 128). Compaction \"on\" means a configured context window of "
        f"{LIMIT:,} tokens (threshold 80%); \"off\" means no compaction at all.", "",
        "| session | API | compaction | turns | tool calls | input tokens | cached | cached share | peak context | compactions | plan in last request |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, api, comp, r in rows:
        lines.append(f"| {name} | {api} | {comp} | {r['turns']} | {r['tool_calls']} | {r['input']:,} | "
                     f"{r['cached']:,} | {r['share']:.1%} | {r['peak']:,} | {r['compactions']} | "
                     f"{'yes' if r['plan_kept'] else 'NO'} |")
    long_resp = {c: r for n, a, c, r in rows if n == "long" and a == "responses"}
    ok_share = long_resp["off"]["share"] >= 0.8
    ok_peak = all(r["peak"] <= LIMIT for n, a, c, r in rows if c == "on")
    lines += ["", "Targets:",
              f"- cached share >= 80% of input tokens on the long session (Responses, no compaction): "
              f"{long_resp['off']['share']:.1%} -> {'met' if ok_share else 'MISSED'}",
              f"- with compaction, cached share on the long session: {long_resp['on']['share']:.1%} "
              "(each compaction changes the prefix once, so the next call is a cache miss)",
              f"- peak context under the configured {LIMIT:,}-token limit in every compacted run: "
              f"{'met' if ok_peak else 'MISSED'}", ""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if ok_share and ok_peak else 1


if __name__ == "__main__":
    raise SystemExit(main())
