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
