"""run_tests args are selectors: what each runner accepts, and the refusals that say so."""

from __future__ import annotations

import pytest

from agent.errors import ToolError
from agent.sandbox.environment import scrub
from agent.testsuite.selectors import narrow, selector_argv, split_command


@pytest.fixture
def root(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    (tmp_path / "link").symlink_to("/etc")
    return tmp_path


@pytest.mark.parametrize("args, argv", [
    ("tests/test_a.py::test_x[1-2]", ["tests/test_a.py::test_x[1-2]"]),
    ("-k 'hash and not md5' -x", ["-k", "hash and not md5", "-x"]),
    ("-kfoo --tb=short --maxfail 2 -m slow", ["-k", "foo", "--tb", "short", "--maxfail", "2", "-m", "slow"]),
    ("--lf tests", ["--lf", "tests"]),
])
def test_pytest_selectors_are_accepted(root, args, argv):
    assert selector_argv("pytest", args, root) == argv


@pytest.mark.parametrize("args, message", [
    ("--basetemp=../../../.git", "does not accept the option '--basetemp'"),
    ("--junitxml=/tmp/x.xml", "does not accept the option '--junitxml'"),
    ("-p no:cacheprovider", "does not accept the option '-p'"),
    ("-pevil", "does not accept the option '-pevil'"),
    ("-c /etc/passwd", "does not accept the option '-c'"),
    ("--rootdir=/", "does not accept the option '--rootdir'"),
    ("-o cache_dir=/x", "does not accept the option '-o'"),
    ("--confcutdir=/", "does not accept the option '--confcutdir'"),
    ("../outside.py", "outside the repository"),
    ("/etc/passwd", "absolute paths are not allowed"),
    ("link/passwd", "outside the repository"),
    (".git/config", ".git directory is off limits"),
    ("@args.txt", "argument files are not accepted"),
    ("tests; touch x", "shell syntax is not accepted"),
    ("$(id)", "shell syntax is not accepted"),
    ("-k -p", "does not start with '-'"),
    ("--tb=evil", "--tb takes one of"),
])
def test_everything_else_is_refused_saying_what_is_accepted(root, args, message):
    with pytest.raises(ToolError) as info:
        selector_argv("pytest", args, root)
    assert message in str(info.value)
    assert "args may hold" in str(info.value) or "takes" in str(info.value) or "value" in str(info.value)


def test_other_runners(root):
    assert selector_argv("npm", "-t 'hashes a password' tests", root) == ["-t", "hashes a password", "tests"]
    assert selector_argv("go", "-run TestHash ./tests/...", root) == ["-run", "TestHash", "./tests/..."]
    assert selector_argv("cargo", "auth::tests::hashing", root) == ["auth::tests::hashing"]
    for kind, args in [("go", "-exec evil"), ("go", "example.com/x"), ("cargo", "--target-dir /tmp"),
                       ("npm", "--config=/tmp/x.js"), ("command", "-x")]:
        with pytest.raises(ToolError):
            selector_argv(kind, args, root)
    with pytest.raises(ToolError, match="takes no args"):
        selector_argv("script", "tests", root)


def test_commands_are_argv_lists():
    assert split_command("python -m pytest -q") == (["python", "-m", "pytest", "-q"], "pytest")
    assert split_command(["npm", "test"]) == (["npm", "test"], "npm")
    assert split_command("make test && echo ok") == (["bash", "-c", "make test && echo ok"], "script")
    assert split_command("exit 1")[1] == "script"
    assert narrow("npm", ["npm", "test", "--silent"], ["-t", "x"]) == ["npm", "test", "--silent", "--", "-t", "x"]
    assert narrow("go", ["go", "test", "-json", "./..."], ["./auth"]) == ["go", "test", "-json", "./auth"]


def test_credentials_are_scrubbed_and_passthrough_keeps_what_is_named():
    env = {"OPENAI_API_KEY": "k", "MY_LLM": "k2", "GITHUB_TOKEN": "t", "AWS_REGION": "eu", "DB_PASSWORD": "p",
           "DATABASE_URL": "postgres://u:pw@h/db", "SSH_AUTH_SOCK": "/s", "GIT_DIR": "/x", "PATH": "/bin",
           "HOME": "/h", "CI": "1", "SENTRY_DSN_KEY": "s"}
    clean = scrub(env, key_names={"MY_LLM"}, passthrough=["SENTRY_*"])
    assert clean == {"PATH": "/bin", "HOME": "/h", "CI": "1", "SENTRY_DSN_KEY": "s"}
