"""Property: random real files, random edits, random damage -> the intended file or a clean refusal."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agent.patch import apply_patch

from .conftest import udiff

# A fixed corpus (copies of real modules taken once), so a refactor of the package never changes
# what this test draws from; `.txt` keeps the copies out of linting and test collection.
SOURCES = sorted((Path(__file__).resolve().parent / "corpus").glob("*.py.txt"))


def _edit(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(lines))
        op = rng.choice(["replace", "insert", "delete"])
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        if op == "replace":
            lines[at] = indent + f"value_{rng.randint(0, 9999)} = {rng.randint(0, 99)}"
        elif op == "insert":
            lines.insert(at, indent + f"# note {rng.randint(0, 9999)}")
        elif len(lines) > 5:
            del lines[at]
    return "\n".join(lines)


def _damage(diff: str, rng: random.Random) -> str:
    kinds = rng.sample(["numbers", "trailing", "unicode", "prefix", "fence", "crlf-diff", "drop-context",
                        "extra-context", "retyped-context"], rng.randint(0, 3))
    out = []
    for line in diff.split("\n"):
        # A context line the model left out, anywhere (right next to added lines too: then the
        # engine must see that where they go is open, and refuse).
        if line[:1] == " " and "drop-context" in kinds and rng.random() < 0.15:
            continue
        if line[:1] == " " and "extra-context" in kinds and rng.random() < 0.15:
            out.append(rng.choice([" ", "     pass", "     return None"]))  # a line the file may lack there
        if line[:1] in (" ", "-") and not line.startswith("---") and "retyped-context" in kinds:
            # the model re-typed the context with tabs (its added lines stay as the file has them)
            body = line[1:]
            spaces = len(body) - len(body.lstrip(" "))
            line = line[0] + "\t" * (spaces // 4) + " " * (spaces % 4) + body[spaces:]
        if line.startswith("@@") and "numbers" in kinds:
            line = "@@ @@"
        elif line[:1] in (" ", "-") and not line.startswith("---"):
            if "trailing" in kinds and rng.random() < 0.3:
                line += " "
            if "unicode" in kinds:
                line = line[0] + line[1:].replace('"', "\u201c")
        out.append(line)
    text = "\n".join(out)
    if "prefix" in kinds:
        text = text.replace("--- a/", "--- ").replace("+++ b/", "+++ ")
    if "fence" in kinds:
        text = "Patch:\n```diff\n" + text + "```\nDone.\n"
    if "crlf-diff" in kinds:
        text = text.replace("\n", "\r\n")
    return text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9))
def test_damaged_random_edits_apply_exactly_or_are_refused(tmp_path_factory, seed):
    rng = random.Random(seed)
    src = rng.choice(SOURCES)
    before = src.read_text()
    after = _edit(before, rng)
    assume(after != before)  # an insert and a delete can cancel out: then there is no diff at all
    root = tmp_path_factory.mktemp("prop")
    (root / "f.py").write_text(before)
    diff = _damage(udiff(before, after, "f.py"), rng)
    result = apply_patch(root, diff, syntax_check=False)
    now = (root / "f.py").read_text()
    if result.ok:
        assert now == after, result.render()
    else:
        assert now == before  # a refusal changes nothing
        assert "REJECTED" in result.render() or "refused" in result.render()
