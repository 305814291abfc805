"""What the model may pass to `run_tests`: selectors, never options.

Test paths inside the worktree, test ids (`path::name`), and a short list of selecting flags
per runner. An option that takes a path or loads code (`--basetemp`, `--junitxml`, `-p`, `-c`,
`--rootdir`, `-o`, ...), a path leaving the worktree, an `@argsfile` and shell syntax are
refused with a message saying what is accepted. The result is argv items, never shell text.

The test command itself is an argv list too: a configured string is split once. A configured
command that is shell syntax (`make a && make b`) runs as `bash -c COMMAND` and takes no args.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from agent.errors import PathEscape, ToolError
from agent.workspace.paths import confine

_SHELL_CHARS = re.compile(r"[;|&$`<>\n\r\x00]")
_SHELL_WORDS = {"if", "then", "fi", "for", "while", "do", "done", "case", "esac", "exit", "cd", "export", "source",
                ".", "eval", "exec", "set", "trap", "!", "{", "}", "[[", "until", "function", "test", "[", "true",
                "false", "unset", "alias", "read"}
_TB_STYLES = {"auto", "long", "short", "line", "native", "no"}
_INT = re.compile(r"^[0-9]{1,6}$")
_FILTER = re.compile(r"^[\w:.\-]{1,200}$")  # cargo test name filters


@dataclass(frozen=True)
class Flag:
    names: tuple[str, ...]
    value: str | None = None  # None: a switch; "expr", "int", "tb", "regex": takes one value


_FLAGS: dict[str, tuple[Flag, ...]] = {
    "pytest": (Flag(("-k",), "expr"), Flag(("-m",), "expr"), Flag(("-x", "--exitfirst")),
               Flag(("--lf", "--last-failed")), Flag(("--ff", "--failed-first")), Flag(("-v", "-vv", "--verbose")),
               Flag(("-q", "--quiet")), Flag(("-s",)), Flag(("-l", "--showlocals")), Flag(("--tb",), "tb"),
               Flag(("--maxfail",), "int")),
    "npm": (Flag(("-t", "--testNamePattern"), "expr"),),
    "jest": (Flag(("-t", "--testNamePattern"), "expr"),),
    "go": (Flag(("-run",), "regex"), Flag(("-v",)), Flag(("-short",)), Flag(("-failfast",)),
           Flag(("-count",), "int")),
    "cargo": (),
    "command": (),
    "script": (),
}


def accepted(kind: str) -> str:
    """What `args` may hold for this kind of test command, in words (the tool description)."""
    if kind == "script":
        return "nothing: the configured test command is a shell script that takes no arguments; pass null"
    if kind == "cargo":
        return "test name filters (e.g. auth::tests::hashing), no options"
    what = {"pytest": "test paths inside the repository and test ids (tests/test_auth.py::test_hash[md5])",
            "npm": "test file paths or path patterns inside the repository",
            "jest": "test file paths or path patterns inside the repository",
            "go": "package paths inside the repository (./auth, ./auth/...)",
            "command": "test paths inside the repository"}[kind]
    flags = [f"{f.names[0]} {f.value.upper()}" if f.value else f.names[0] for f in _FLAGS[kind]]
    return what + (", and only these options: " + ", ".join(flags) if flags else "; no options")


def command_kind(argv: list[str]) -> str:
    """Which runner a configured argv is, for what its args may hold."""
    names = [Path(a).name for a in argv]
    if not names:
        return "command"
    if names[0] in ("bash", "sh", "zsh", "dash") and "-c" in argv:
        return "script"
    if "pytest" in names or "py.test" in names or any(argv[i:i + 2] == ["-m", "pytest"] for i in range(len(argv))):
        return "pytest"
    if names[0] in ("npm", "yarn", "pnpm") and "test" in names:
        return "npm"
    if "jest" in names or "vitest" in names:
        return "jest"
    if names[0] == "go" and "test" in names:
        return "go"
    if names[0] == "cargo" and "test" in names:
        return "cargo"
    return "command"


def split_command(command) -> tuple[list[str], str]:
    """A configured test command as (argv, kind). A list is taken as it is; a string is split once,
    or, when it is shell syntax, run as `bash -c COMMAND` (kind "script": it takes no args)."""
    if isinstance(command, list | tuple):
        argv = [str(a) for a in command]
        return argv, command_kind(argv)
    text = str(command).strip()
    try:
        argv = shlex.split(text)
    except ValueError:
        return ["bash", "-c", text], "script"
    if not argv or _SHELL_CHARS.search(text) or argv[0] in _SHELL_WORDS or "=" in argv[0] or any(
            set(a) & set("*?~") for a in argv):
        return ["bash", "-c", text], "script"
    return argv, command_kind(argv)


def selector_argv(kind: str, args: str | None, root: Path, *, cache: bool = True) -> list[str]:
    """The model's `args` as argv items for a runner of `kind`, or ToolError saying what is accepted."""
    text = (args or "").strip()
    if not text:
        return []
    if kind == "script":
        raise ToolError(f"run_tests takes no args here: {accepted(kind)}")
    if _SHELL_CHARS.search(text):
        raise ToolError(f"shell syntax is not accepted in run_tests args ({text!r}); args may hold {accepted(kind)}")
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise ToolError(f"invalid run_tests args {text!r}: {exc}") from None
    out: list[str] = []
    flags = {name: flag for flag in _FLAGS[kind] for name in flag.names}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.startswith("-") and token != "-":
            name, eq, value = token.partition("=")
            flag = flags.get(name)
            if flag is None and len(name) > 2 and name[:2] in flags and not name.startswith("--"):
                flag, name, value, eq = flags[name[:2]], name[:2], token[2:], "="  # -kEXPR
            if flag is None:
                raise ToolError(f"run_tests does not accept the option {name!r}: args may hold {accepted(kind)}")
            if name in ("--lf", "--last-failed", "--ff", "--failed-first") and not cache:
                raise ToolError(f"{name} is not available here (no test cache); args may hold test paths and ids")
            if flag.value is None:
                if eq:
                    raise ToolError(f"{name} takes no value")
                out.append(name)
                continue
            if not eq:
                if i >= len(tokens):
                    raise ToolError(f"{name} needs a value")
                value, i = tokens[i], i + 1
            out += [name, _value(name, flag.value, value)]
        else:
            out.append(_positional(kind, token, root))
    return out


def _value(name: str, kind: str, value: str) -> str:
    if not value or value.startswith("-"):
        raise ToolError(f"{name} needs a value that does not start with '-'")
    if kind == "int" and not _INT.match(value):
        raise ToolError(f"{name} takes a number, not {value!r}")
    if kind == "tb" and value not in _TB_STYLES:
        raise ToolError(f"--tb takes one of {', '.join(sorted(_TB_STYLES))}")
    return value


def _positional(kind: str, token: str, root: Path) -> str:
    if token.startswith("@"):
        raise ToolError(f"{token!r}: argument files are not accepted; args may hold {accepted(kind)}")
    if kind == "cargo":
        if not _FILTER.match(token):
            raise ToolError(f"{token!r} is not a test name filter; args may hold {accepted(kind)}")
        return token
    path = token.split("::", 1)[0] if kind == "pytest" else token
    if kind == "go":
        path = path.removesuffix("/...") if path != "./..." else "."
        if not token.startswith("."):
            raise ToolError(f"{token!r}: name packages by a path inside the repository (./pkg or ./pkg/...)")
    if kind in ("npm", "jest"):
        path = re.sub(r"[\\^$*+?()|{}\[\]]", "", path) or "."  # a path pattern: its literal part must stay inside
    try:
        confine(root, path)
    except PathEscape as exc:
        raise ToolError(f"{exc}; run_tests args may hold {accepted(kind)}") from None
    return token


def narrow(kind: str | None, argv: list[str], extra: list[str], *, script_args: bool = False) -> list[str]:
    """The test command narrowed by already checked argv items (selectors, our reporter's args).
    npm hands what follows `--` to the package.json script (pnpm and yarn hand everything)."""
    if not extra:
        return list(argv)
    if (kind == "npm" or script_args) and argv[:1] == ["npm"] or kind == "cargo":
        return [*argv, *([] if "--" in argv else ["--"]), *extra]
    if kind == "go" and any(not a.startswith("-") for a in extra):
        return [a for a in argv if a != "./..."] + extra  # packages named: test just those
    return [*argv, *extra]
