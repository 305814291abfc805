"""Each ranking rule on a small tree, with the exact order it must produce."""

from __future__ import annotations

from pathlib import Path

from agent.repomap import RepoMap
from agent.repomap.index import resolve_imports
from agent.repomap.pyscan import references
from tests.repomap.conftest import init_repo


def make(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return init_repo(root)


def order(root: Path, cache: Path, focus: str = "", files: tuple[str, ...] = ()) -> list[str]:
    res = RepoMap(root, cache_dir=cache).render(focus, files, budget_tokens=100_000)
    return [f["path"] for f in res.to_dict()["files"]]


def test_import_statements_name_modules_not_definitions(tmp_path):
    # django's geomtype.py defines `def django(self)`: every `from django…` used to count as a
    # reference to it, and it topped Django's map.
    views = {f"django/views/v{i}.py": f"from django.db.query import QuerySet\nimport django.db\n\n"
             f"def view{i}(request):\n    return QuerySet(request)\n" for i in range(4)}
    root = make(tmp_path / "r", {
        "django/__init__.py": "",
        "django/db/__init__.py": "",
        "django/views/__init__.py": "",
        "django/db/query.py": "class QuerySet:\n    def bulk_create(self, objs):\n        return objs\n",
        "django/gis/__init__.py": "",
        "django/gis/geomtype.py": "class OGRGeomType:\n    def django(self):\n        return 1\n",
        "django/gis/lonely.py": "def alone():\n    return 1\n",
        **views,
    })
    res = RepoMap(root, cache_dir=tmp_path / "c").render(budget_tokens=100_000)
    rank = {f["path"]: f["rank"] for f in res.to_dict()["files"]}
    assert [f["path"] for f in res.to_dict()["files"]][:2] == ["django/db/query.py", "django/db/__init__.py"]
    assert rank["django/gis/geomtype.py"] == rank["django/gis/lonely.py"]  # nothing refers to it
    assert order(root, tmp_path / "c", "QuerySet.bulk_create is slow")[0] == "django/db/query.py"


def test_imports_resolve_to_files_absolute_relative_and_src_layout():
    paths = ["src/pkg/__init__.py", "src/pkg/core.py", "src/pkg/sub/__init__.py", "src/pkg/sub/leaf.py",
             "src/pkg/sub/other.py", "tools/script.py", "helpers.py"]
    imports = [
        [(".core", ["thing"]), (".sub", ["leaf"])],  # __init__: .core, and .sub.leaf the module
        [("pkg.sub.leaf", ["x"]), ("os", [])],  # absolute; stdlib resolves to nothing
        [],
        [("..core", ["thing"]), (".", ["other"]), ("...toohigh", ["x"])],
        [],
        [("helpers", []), ("pkg", ["core"])],
        [],
    ]
    assert resolve_imports(paths, imports) == [[1, 3], [3], [], [1, 4], [], [6, 1], []]


def test_attribute_uses_and_calls_count_more_than_bare_names(tmp_path):
    root = make(tmp_path / "r", {
        "a.py": "def alpha():\n    pass\n",
        "b.py": "def beta():\n    pass\n",
        "user.py": "def use(m):\n    m.beta()\n    return alpha\n",
    })
    assert order(root, tmp_path / "c") == ["b.py", "a.py", "user.py"]
    refs, _ = references(b"x = alpha\nm.beta()\ngamma()\nobj.delta\n")
    assert refs == {"alpha": 1, "beta": 5, "gamma": 3, "delta": 3, "obj": 1}


def test_names_defined_in_many_files_count_less(tmp_path):
    # `run` is defined in five files, `settle_account` in one: one call of each from the same
    # user says far more about the one definer than about each of the five.
    files = {f"tasks/t{i}.py": "def run():\n    pass\n" for i in range(5)}
    files["ledger.py"] = "def settle_account():\n    pass\n"
    files["main.py"] = "def main(job):\n    job.run()\n    settle_account()\n"
    root = make(tmp_path / "r", files)
    got = order(root, tmp_path / "c")
    assert got[0] == "ledger.py"
    assert got[1:6] == [f"tasks/t{i}.py" for i in range(5)] and got[6] == "main.py"


def test_tests_and_stubs_rank_below_the_code_unless_the_focus_names_them(tmp_path):
    tests = "from lib.core import parse_row, write_row\n\n" + "".join(
        f"def test_case_{i}():\n    assert parse_row({i}) == write_row({i})\n" for i in range(6))
    root = make(tmp_path / "r", {
        "lib/__init__.py": "",
        "lib/core.py": "def parse_row(x):\n    return x\n\ndef write_row(x):\n    return x\n",
        "lib/core.pyi": "def parse_row(x: int) -> int: ...\ndef write_row(x: int) -> int: ...\n",
        "lib/cli.py": "from lib.core import parse_row\n\ndef main():\n    return parse_row(1)\n",
        "tests/test_core.py": tests,
        "tests/conftest.py": "from lib.core import parse_row\n\ndef row():\n    return parse_row(0)\n",
    })
    assert order(root, tmp_path / "c") == [
        "lib/core.py", "lib/cli.py", "lib/__init__.py", "lib/core.pyi", "tests/conftest.py",
        "tests/test_core.py"]
    named = order(root, tmp_path / "c", "test_core fails on empty rows")
    assert named[0] == "tests/test_core.py"
    assert order(root, tmp_path / "c", "", ("lib/core.pyi",))[0] == "lib/core.pyi"


def test_overloads_collapse_into_one_line_with_a_count(tmp_path):
    stub = "from typing import overload\n\n" + "".join(
        f"@overload\ndef instance_of(type: type{i}) -> V{i}: ...\n" for i in range(5)) + (
        "class Box:\n    @property\n    def size(self) -> int: ...\n    @size.setter\n"
        "    def size(self, v: int) -> None: ...\n    def other(self) -> None: ...\n")
    root = make(tmp_path / "r", {"validators.pyi": stub})
    res = RepoMap(root, cache_dir=tmp_path / "c").render(budget_tokens=100_000)
    assert res.text == (
        "validators.pyi:\n"
        "  def instance_of(type: type0) -> V0 (×5)\n"
        "  class Box\n"
        "    def size(self) -> int (×2)\n"
        "    def other(self) -> None\n")
    assert [s["name"] for s in res.to_dict()["files"][0]["symbols"]] == ["instance_of", "Box", "size", "other"]


def test_importers_are_the_files_that_import_a_file_transitively(tmp_path):
    root = make(tmp_path / "r", {
        "app/__init__.py": "",
        "app/models.py": "class User:\n    pass\n",
        "app/service.py": "from .models import User\n",
        "app/api.py": "from app import service\n",
        "app/unrelated.py": "import json\n",
        "tests/test_api.py": "import app.api\n",
    })
    rm = RepoMap(root, cache_dir=tmp_path / "c")
    assert rm.importers(["app/models.py"]) == {"app/service.py", "app/api.py", "tests/test_api.py"}
    assert rm.importers(["app/api.py"]) == {"tests/test_api.py"}
    assert rm.importers(["app/unrelated.py", "nope.py"]) == set()
