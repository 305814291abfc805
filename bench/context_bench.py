"""Context benchmark (issue 11, item 7): compactions and cached share on a long session with a
12k-token window, on both APIs, through build_model -> the real `openai` SDK -> the replay server.

The driver plays the loop's part as agent.core.loop does it: the planning prompt and every step
prompt carry a repository map (prompts/plan.md, prompts/step.md, ~2k tokens), the plan and the
steps' status are pinned and re-pinned at every step, a failing full run pins `failures`. Each
step reads files (~1.3k tokens each), applies a diff, runs its tests and finishes.

    python bench/context_bench.py          # writes bench/results/context.md

Targets: cached share >= 80% on both APIs; Responses not worse than Chat Completions; at most one
compaction per ~8k tokens of new context.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.config import Config  # noqa: E402
from agent.core import prompts  # noqa: E402
from agent.core.conversation import Conversation  # noqa: E402
from agent.model import build_model  # noqa: E402
from agent.model.usage import estimate_tokens  # noqa: E402
from agent.testing.replay import ReplayServer  # noqa: E402
from agent.tools.specs import ALL_TOOLS  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "context.md"
WINDOW = 12_000
STEPS = 4
READS_PER_STEP = 4


def _module(n: int) -> str:
    lines = [f'"""Module {n} of the made-up billing service."""', "", "import math", ""]
    for k in range(10):
        lines += [f"def compute_{n}_{k}(amount: float, rate: float = 0.{k + 1}) -> float:",
                  f'    """Apply rate {k} to an amount, rounding half up to cents."""',
                  "    value = amount * (1 + rate)", "    return math.floor(value * 100 + 0.5) / 100", ""]
    return "\n".join(lines)


def _map(focus: str) -> str:
    rows = [f"billing/mod{n}.py:\n  " + "\n  ".join(f"def compute_{n}_{k}(amount, rate)" for k in range(10))
            for n in range(12)]
    return "Repository map (most relevant first):\n" + f"(focus: {focus})\n" + "\n".join(rows)


def _call(name: str, **arguments) -> dict:
    return {"name": name, "arguments": arguments}


def script() -> list[dict]:
    turns = [{"tool_calls": [_call("read_file", path=f"billing/mod{n}.py", start_line=None, end_line=None)]}
             for n in range(4)]
    turns.append({"tool_calls": [_call("submit_plan", summary="Round money half-even everywhere.", steps=[
        {"title": f"Half-even rounding in group {s}", "description": f"Modules {3 * s}..{3 * s + 2}.",
         "files": [f"billing/mod{3 * s + k}.py" for k in range(3)]} for s in range(STEPS)])]})
    for s in range(STEPS):
        for r in range(READS_PER_STEP):
            turns.append({"tool_calls": [_call("read_file", path=f"billing/mod{(3 * s + r) % 12}.py",
                                               start_line=None, end_line=None)]})
        diff = f"--- a/billing/mod{3 * s}.py\n+++ b/billing/mod{3 * s}.py\n@@ -1,1 +1,1 @@\n-x\n+y\n"
        turns.append({"reasoning": f"Patch group {s}.", "tool_calls": [_call("apply_diff", diff=diff)]})
        turns.append({"tool_calls": [_call("run_tests", args=f"tests/test_group{s}.py")]})
        turns.append({"tool_calls": [_call("finish_step", summary=f"group {s} rounds half-even")]})
    return turns


def _output(name: str, args: dict) -> str:
    if name == "read_file":
        n = int("".join(ch for ch in args["path"] if ch.isdigit()) or 0)
        return "\n".join(f"{i:>4}| {line}" for i, line in enumerate(_module(n).splitlines(), 1))
    if name == "run_tests":
        return "Tests passed: 42 passed in 0.31s\n$ python -m pytest -q " + (args.get("args") or "")
    if name == "apply_diff":
        return f"{args['diff'].split()[1][2:]}: modify - ok"
    return f"{name}: ok"


def run(api: str) -> dict:
    turns = script()
    events: list[tuple[str, dict]] = []
    summaries = {"turns": [{"text": f"- summary {k}: modules read and patched so far; see the plan"}
                           for k in range(60)]}
    with ReplayServer({"turns": turns}) as srv, ReplayServer(summaries) as summarizer:
        models = {"instant": {"model": "gpt-5.2", "api": api, "base_url": summarizer.base_url}}
        cfg = Config(base_url=srv.base_url, api=api, compaction={"context_window": WINDOW}, models=models)
        model = build_model(cfg, lambda t, **f: events.append((t, f)), session_id="bench",
                            env={"AGENT_RETRY_BASE_DELAY": "0.01"})
        conv = Conversation(prompts.load("system.md"))
        intent = "Round money half-even everywhere in billing."
        conv.pin("intent", f"The person's request: {intent}")
        conv.add_user(prompts.render("plan.md", intent=intent, repo_map=_map(intent)))
        new_context = estimate_tokens(conv.items)
        step = 0
        plan = None
        role = "plan"
        for _ in turns:
            turn = model.respond(conv, ALL_TOOLS, role)
            conv.add_turn(turn)
            new_context += estimate_tokens(turn.items)
            for call in turn.tool_calls:
                out = _output(call.name, call.args())
                if call.name == "submit_plan":
                    plan = call.args()
                    out = "The person approved the plan."
                elif call.name == "finish_step":
                    out = "Tests passed: 42 passed in 0.9s\nThe person is reviewing the step."
                conv.add_tool_output(call.call_id, out)
                new_context += estimate_tokens(out)
                if call.name in ("submit_plan", "finish_step") and plan and step < len(plan["steps"]):
                    s = plan["steps"][step]
                    status = "\n".join(f"{i + 1}. [{'done' if i < step else 'running' if i == step else 'pending'}] "
                                       f"{p['title']}" for i, p in enumerate(plan["steps"]))
                    conv.pin("plan", f"{plan['summary']}\n{status}")
                    prompt = prompts.render("step.md", index=str(step + 1), total=str(len(plan["steps"])),
                                            title=s["title"], description=s["description"],
                                            files=", ".join(s["files"]), repo_map=_map(s["title"]))
                    conv.add_user(prompt)
                    new_context += estimate_tokens(prompt)
                    step += 1
                    role = "edit"
        totals = {k: srv.totals[k] + summarizer.totals[k] for k in ("input", "cached")}
        peak = srv.totals["peak_input"]
    compactions = sum(1 for t, _ in events if t == "context_compacted")
    return {"api": api, "calls": len(turns), "input": totals["input"], "cached": totals["cached"],
            "share": totals["cached"] / totals["input"], "compactions": compactions, "new_context": new_context,
            "per_compaction": new_context / compactions if compactions else None, "peak": peak}


def main() -> int:
    started = time.perf_counter()
    rows = [run(api) for api in ("responses", "chat")]
    lines = ["# Context benchmark", "",
             f"`python bench/context_bench.py` on {time.strftime('%Y-%m-%d')}: one long scripted session "
             f"({STEPS} steps, {len(script())} model calls; plan and step prompts with a ~2k-token repository map; "
             f"pins updated as the loop does) with a {WINDOW:,}-token context window, through the real `openai` SDK "
             "to the replay server (cached tokens: longest prefix shared with an earlier prompt of the same "
             "prompt_cache_key, 0 below 1024, steps of 128; summaries for Chat Completions come from a second "
             "server playing the instant tier, its tokens counted in).", "",
             "| API | model calls | input tokens | cached | cached share | compactions | new context (tokens) | new context per compaction | peak prompt |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        per = f"{r['per_compaction']:,.0f}" if r["per_compaction"] else "-"
        lines.append(f"| {r['api']} | {r['calls']} | {r['input']:,} | {r['cached']:,} | {r['share']:.1%} | "
                     f"{r['compactions']} | {r['new_context']:,} | {per} | {r['peak']:,} |")
    resp, chat = rows
    ok = [resp["share"] >= 0.8 and chat["share"] >= 0.8, resp["compactions"] <= chat["compactions"],
          all((r["per_compaction"] or 1e9) >= 7_000 for r in rows)]
    lines += ["", "Targets:",
              f"- cached share >= 80% on both APIs: {resp['share']:.1%} / {chat['share']:.1%} -> "
              f"{'met' if ok[0] else 'MISSED'}",
              f"- Responses not worse than Chat Completions (compactions): {resp['compactions']} vs "
              f"{chat['compactions']} -> {'met' if ok[1] else 'MISSED'}; input tokens {resp['input']:,} vs "
              f"{chat['input']:,} (Responses also carries the reasoning items back)",
              f"- at most one compaction per ~8k tokens of new context (>= 7k each): "
              f"{'met' if ok[2] else 'MISSED'}", "", f"({time.perf_counter() - started:.1f} s)", ""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if all(ok) else 1


if __name__ == "__main__":
    raise SystemExit(main())
