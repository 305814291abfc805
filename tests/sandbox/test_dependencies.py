"""Item 5: a step that adds a dependency gets it installed into the session's own environment,
inside the sandbox, from pip's own index settings (here a local wheel directory: no network);
the person's environment is never modified."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile

import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import diff_turn, finish_turn, plan_turn, run_agent, user_env
from tests.helpers_git import make_repo
from tests.sandbox.conftest import new_file_diff, user_state

pytestmark = pytest.mark.slow


def build_wheel(folder, name="hashlite", version="1.0"):
    """A tiny pure-Python wheel, written by hand."""
    folder.mkdir(parents=True, exist_ok=True)
    info = f"{name}-{version}.dist-info"
    files = {f"{name}.py": "def digest(text):\n    return 'h:' + text[::-1]\n",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


ADD_DEP = """--- a/requirements.txt
+++ b/requirements.txt
@@ -1 +1,2 @@
 # runtime
+hashlite==1.0
"""
TEST_DEP = "import hashlite\n\n\ndef test_digest():\n    assert hashlite.digest('ab') == 'h:ba'\n"


def test_a_step_adding_a_dependency_gets_it_installed_in_the_session_only(tmp_path, bwrap):
    wheels = tmp_path / "wheels"
    build_wheel(wheels)
    repo = make_repo(tmp_path, {"calc.py": "X = 1\n", "requirements.txt": "# runtime\n",
                                "tests/test_calc.py": "import calc\n\n\ndef test_x():\n    assert calc.X == 1\n",
                                "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"})
    env = user_env(PIP_FIND_LINKS=str(wheels), PIP_NO_INDEX="1", HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    before = user_state(repo, tmp_path / "home")
    turns = [plan_turn("Use hashlite"), diff_turn(ADD_DEP + new_file_diff("tests/test_dep.py", TEST_DEP)),
             finish_turn("uses hashlite")]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(repo, server, "run", "use hashlite", "--yes", "--json", env=env)
    assert run.code == 0, run.stderr + run.stdout[-2000:]
    installed = run.of_type("dependencies_installed")
    assert [(e["manager"], e["ok"], e["packages"]) for e in installed] == [("pip", True, ["hashlite==1.0"])]
    assert run.result["tests"]["passed"] is True
    # The person's own environment does not have it.
    assert subprocess.run([sys.executable, "-c", "import hashlite"], capture_output=True).returncode != 0
    after = user_state(repo, tmp_path / "home")
    assert after["checkout"] == before["checkout"] and after[str(tmp_path / "home")] == before[str(tmp_path / "home")]


def test_an_option_smuggled_into_requirements_is_not_passed_to_pip(tmp_path, bwrap):
    repo = make_repo(tmp_path, {"calc.py": "X = 1\n", "requirements.txt": "# runtime\n",
                                "tests/test_calc.py": "import calc\n\n\ndef test_x():\n    assert calc.X == 1\n",
                                "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"})
    evil = ADD_DEP.replace("+hashlite==1.0", "+hashlite --index-url=http://127.0.0.1:9/evil")
    turns = [plan_turn("Use hashlite"), diff_turn(evil), finish_turn("uses hashlite"),
             finish_turn("again"), finish_turn("again")]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(repo, server, "run", "use hashlite", "--yes", "--json", "--max-attempts", "1",
                        env=user_env(PIP_NO_INDEX="1"))
    installed = run.of_type("dependencies_installed")
    assert installed and installed[0]["ok"] is False and "not a requirement" in installed[0]["message"]
    assert run.code == 3, run.stderr
