"""`agent demo` in a real pseudo-terminal: it takes feedback at the plan and at a step, says its
model is scripted, and leaves nothing behind."""

from __future__ import annotations

import re
from pathlib import Path

import pexpect
import pytest

from tests.e2e.conftest import agent_cmd, user_env

pytestmark = pytest.mark.slow

PLAN_KEYS = r"\[a\]pprove \[f\]eedback \[r\]eject"
STEP_KEYS = r"\[a\]pprove \[f\]eedback \[s\]kip \[q\]uit"


def spawn_demo(tmp_path: Path, *args: str):
    cmd = agent_cmd("demo", *args)
    env = user_env(COLUMNS="120", TERM="dumb", TMPDIR=str(tmp_path))
    env.pop("OPENAI_API_KEY")  # the demo needs no key
    return pexpect.spawn(cmd[0], cmd[1:], cwd=str(tmp_path), env=env, encoding="utf-8", timeout=90,
                         dimensions=(50, 120))


def words(text: str) -> str:
    """A pattern for text that the terminal may have wrapped between any two words."""
    return r"\s+".join(re.escape(w) for w in text.split())


def give_feedback(child, keys: str, text: str) -> None:
    child.expect(keys)
    child.send("f")
    child.expect("Your feedback:")
    child.sendline(text)


def test_demo_takes_feedback_at_the_plan_and_at_a_step_and_says_its_model_is_scripted(tmp_path):
    child = spawn_demo(tmp_path)
    child.expect(r"demo repository: (\S+)")
    demo_repo = Path(child.match.group(1))
    child.expect(words("not a real model, a recorded script"))
    give_feedback(child, PLAN_KEYS, "use bcrypt instead")
    child.expect("revision 2")
    child.expect(words("a recorded script: it cannot follow what you wrote"))
    child.expect(PLAN_KEYS)
    child.send("a")
    give_feedback(child, STEP_KEYS, "add a docstring")
    child.expect(words("the step is unchanged"))
    child.expect(STEP_KEYS)
    child.send("a")
    child.expect(r"committed \w+ Hash new passwords")
    child.expect(STEP_KEYS)
    child.send("a")
    child.expect(r"done \(exit 0\)")
    child.expect(pexpect.EOF)
    shown = child.before
    child.close()
    assert child.exitstatus == 0
    assert "2 commit(s)" in shown
    # The repository is removed at the end, so there is no "Bring them in: agent apply" to follow.
    assert "agent apply" not in shown.split("removed the demo repository")[0]
    assert re.search(r"removed the demo repository", shown)
    assert not demo_repo.exists()
