"""Project instructions: AGENTS.md files from the repository root down to the working directory.

The nearest file comes last, so where instructions conflict the most specific one has the last
word (the convention AGENTS.md tools share). The total is capped: instructions go into the
stable part of every prompt, and a runaway file must not eat the context window.
"""

from __future__ import annotations

from pathlib import Path

from agent.errors import ConfigError

INSTRUCTIONS_FILE = "AGENTS.md"
TRUNCATED = "\n[… truncated: project instructions are capped at {cap} bytes]\n"


def load_instructions(repo_root: Path, cwd: Path, max_bytes: int = 32_000) -> list[tuple[str, str]]:
    """[(path relative to the repo root, text)], root first, nearest last, at most `max_bytes`.

    Files are taken in that order until the cap; the one that crosses it is cut (and says so),
    and any below it are dropped. A `cwd` outside the repository reads only the root's file;
    an AGENTS.md that is a symlink leading outside the repository is ignored.
    """
    root = Path(repo_root).resolve()
    here = Path(cwd).resolve()
    dirs = [root]
    if here != root and root in here.parents:
        for part in here.relative_to(root).parts:
            dirs.append(dirs[-1] / part)
    out: list[tuple[str, str]] = []
    left = max_bytes
    for d in dirs:
        path = d / INSTRUCTIONS_FILE
        try:
            if not path.is_file():
                continue
            real = path.resolve()
            if real != root and root not in real.parents:
                continue
            data = real.read_bytes()
        except OSError:
            continue
        if not data.strip():
            continue
        rel = path.relative_to(root).as_posix()
        if len(data) > left:
            text = data[: max(left, 0)].decode("utf-8", "ignore") + TRUNCATED.format(cap=max_bytes)
            out.append((rel, text))
            break
        out.append((rel, data.decode("utf-8", "replace")))
        left -= len(data)
    return out


def format_instructions(loaded: list[tuple[str, str]]) -> str:
    """The instructions as one prompt section, each file under its own heading."""
    return "\n\n".join(f"## {rel}\n\n{text.strip()}" for rel, text in loaded)


def load_system_prompt(override: str | None, repo_root: Path) -> str | None:
    """The text of a configured system-prompt override (Config.system_prompt), or None.

    A relative path is taken from the repository root, `~` from the home directory. A path
    that is configured but unreadable is a ConfigError: silently using the default prompt
    would hide the mistake.
    """
    if not override:
        return None
    path = Path(override).expanduser()
    if not path.is_absolute():
        path = Path(repo_root) / path
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"system_prompt {override}: cannot read {path}: {exc.strerror}") from None


def system_prompt(config, instructions: list[tuple[str, str]], repo_root: Path) -> str:
    """The stable prefix of every request: our system prompt (or the configured override), then
    the project's instructions."""
    from agent.core import prompts

    text = load_system_prompt(config.system_prompt, repo_root) or prompts.load("system.md")
    if instructions:
        text += "\n\n# Project instructions\n\n" + format_instructions(instructions)
    return text
