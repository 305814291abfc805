"""The calc project and script builders shared by the in-process loop tests and the CLI tests:
a tiny package with one test, turn builders for scripts, and the diffs the scripts apply."""

from __future__ import annotations

CALC = '''def add(a, b):
    return a + b
'''
CALC_TESTS = '''from calc import add


def test_add():
    assert add(2, 3) == 5
'''



def call(name: str, **arguments) -> dict:
    return {"name": name, "arguments": arguments}


def plan_turn(*titles: str) -> dict:
    return {"tool_calls": [call("submit_plan", summary="the plan",
                                steps=[{"title": t, "description": f"do {t}", "files": ["calc.py"]} for t in titles])]}


def diff_turn(diff: str, **extra) -> dict:
    return {"tool_calls": [call("apply_diff", diff=diff)], **extra}


def finish_turn(summary: str = "done", **extra) -> dict:
    return {"tool_calls": [call("finish_step", summary=summary)], **extra}


ADD_SUB = """--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,5 @@
 def add(a, b):
     return a + b
+
+def sub(a, b):
+    return a + b
"""
FIX_SUB = """--- a/calc.py
+++ b/calc.py
@@ -3,4 +3,4 @@
 
 def sub(a, b):
-    return a + b
+    return a - b
"""
TEST_SUB = """--- a/tests/test_calc.py
+++ b/tests/test_calc.py
@@ -1,5 +1,9 @@
-from calc import add
+from calc import add, sub
 
 
 def test_add():
     assert add(2, 3) == 5
+
+
+def test_sub():
+    assert sub(5, 3) == 2
"""
ADD_MUL = """--- a/calc.py
+++ b/calc.py
@@ -5,2 +5,6 @@
 def sub(a, b):
     return a - b
+
+
+def mul(a, b):
+    return a * b
"""


ADD_DOC = """--- a/calc.py
+++ b/calc.py
@@ -4,3 +4,4 @@
 
 def sub(a, b):
+    \"\"\"a minus b\"\"\"
     return a - b
"""


# "add sub and mul" in two steps: step 1 fails its first attempt (the failure goes back to the
# model, which fixes it), step 2 narrows a test run, then passes. Shared by the in-process loop
# test and the CLI contract test.
TWO_STEPS = [
    {"tool_calls": [call("read_file", path="calc.py", start_line=None, end_line=None)], "expect": ["add sub and mul"]},
    plan_turn("Add sub", "Add mul"),
    diff_turn(ADD_SUB + TEST_SUB, expect=["step 1 of 2"]),
    finish_turn("added sub"),
    diff_turn(FIX_SUB, expect=["assert 8 == 2"]),  # the failure report reached the model
    finish_turn("fixed sub"),
    diff_turn(ADD_MUL, expect=["step 2 of 2"]),
    {"tool_calls": [call("run_tests", args="tests/test_calc.py")]},
    finish_turn("added mul"),
]
