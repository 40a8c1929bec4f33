"""Install, uninstall and check deskpet's hooks in each agent's own config files.

The owner's files are theirs: we merge our entries in and never clobber. Our entries are found
by a marker in their command (hook.MARKERS). How a file is merged, backed up once, written
atomically, refused when unparseable and restored byte for byte is deskpet.config_merge's job.

Files:
    Claude Code  ~/.claude/settings.json   {"hooks": {"Event": [{"hooks": [{"type": "command",
                                                                        ...}]}]}}
    Codex        ~/.codex/hooks.json        same shape as Claude's
                 ~/.codex/config.toml       `notify = [...]`, only when the owner has none
    Cursor       ~/.cursor/hooks.json       {"version": 1, "hooks": {"event": [{"command": ...}]}}

Never registered: Claude's WorktreeCreate (a hook there replaces git's worktree creation), and
no http hook types. Codex asks its owner to trust new hooks (/hooks in Codex); deskpet never
writes Codex's trust hashes itself.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from deskpet import config_merge
from deskpet.bridge import hook
from deskpet.config_merge import JsonFormat, TomlFormat
from deskpet.safefile import ParseRefused

AGENTS = ("claude", "codex", "cursor")
HOOK_TIMEOUT = 10  # seconds; the shim needs well under one

CLAUDE_EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "Notification",
    "Stop",
    "StopFailure",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "SessionEnd",
)
# Only the events every Codex with hooks knows; the rollout tailer covers the rest.
CODEX_EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "Stop",
)
CURSOR_EVENTS = (
    "sessionStart",
    "sessionEnd",
    "beforeSubmitPrompt",
    "preToolUse",
    "postToolUse",
    "postToolUseFailure",
    "stop",
    "subagentStart",
    "subagentStop",
    "preCompact",
    "afterAgentResponse",
)
NEVER_REGISTER = ("WorktreeCreate",)

INSTALLED = "installed"
OUTDATED = "outdated"  # ours, but with an old command path or missing events
ABSENT = "absent"


# --- where things are -------------------------------------------------------------------


def claude_dir() -> Path:
    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude")


def codex_dir() -> Path:
    return Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")


def cursor_dir() -> Path:
    return Path.home() / ".cursor"


def detect(agent: str) -> bool:
    """Whether the agent looks installed: its config folder or its program exists."""
    folder = {"claude": claude_dir, "codex": codex_dir, "cursor": cursor_dir}[agent]()
    programs = {"claude": ["claude"], "codex": ["codex"], "cursor": ["cursor", "cursor-agent"]}
    return folder.is_dir() or any(shutil.which(p) for p in programs[agent])


def hook_argv() -> list[str]:
    """How to run the shim: the `deskpet-hook` script next to this Python, else `-m`."""
    script = Path(sys.executable).parent / "deskpet-hook"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "deskpet.bridge.hook"]


def _quote(arg: str) -> str:
    # Double quotes for the shell that runs hook commands ("Application Support" has a space).
    return '"' + re.sub(r'(["\\$`])', r"\\\1", arg) + '"'


def hook_command(agent: str) -> str:
    program, *args = hook_argv()  # args are "-m deskpet.bridge.hook" at most: no quoting needed
    return " ".join([_quote(program), *args, "--agent", agent])


def is_ours(command: object) -> bool:
    return isinstance(command, str) and any(m in command for m in hook.MARKERS)


# --- our entries in each shape --------------------------------------------------------------


def _hooks_table(path: Path, data: dict, events: tuple[str, ...], create: bool) -> dict | None:
    hooks = data.get("hooks")
    if hooks is None:
        if not create:
            return None
        hooks = data["hooks"] = {}
    if not isinstance(hooks, dict):
        raise ParseRefused(path, '"hooks" is not an object')
    for event in events:
        if event in hooks and not isinstance(hooks[event], list):
            raise ParseRefused(path, f'"hooks.{event}" is not a list')
    return hooks


def _strip_nested(groups: list) -> bool:
    """Remove our handlers from Claude-shaped groups; drop groups we emptied."""
    changed = False
    for group in list(groups):
        handlers = group.get("hooks") if isinstance(group, dict) else None
        if not isinstance(handlers, list):
            continue
        kept = [h for h in handlers if not (isinstance(h, dict) and is_ours(h.get("command")))]
        if len(kept) == len(handlers):
            continue
        changed = True
        if kept:
            group["hooks"] = kept
        else:
            groups.remove(group)
    return changed


def _strip_flat(handlers: list) -> bool:
    """Remove our handlers from a Cursor-shaped list."""
    kept = [h for h in handlers if not (isinstance(h, dict) and is_ours(h.get("command")))]
    changed = len(kept) != len(handlers)
    handlers[:] = kept
    return changed


@dataclass
class _Shape:
    """How deskpet's entries look in one hooks.json-like file."""

    events: tuple[str, ...]
    entry: Callable[[str], dict]  # command -> our entry for one event
    strip: Callable[[list], bool]
    skeleton: dict  # what an otherwise empty file of ours holds

    def state(self, path: Path, data: dict, command: str) -> str:
        hooks = _hooks_table(path, data, self.events, create=False) or {}
        want = self.entry(command)
        found = [e for event in self.events for e in hooks.get(event) or [] if _contains_ours(e)]
        if not found:
            return ABSENT
        complete = all(
            [e for e in hooks.get(event) or [] if _contains_ours(e)] == [want]
            for event in self.events
        )
        return INSTALLED if complete else OUTDATED

    def add(self, path: Path, data: dict, command: str) -> None:
        hooks = _hooks_table(path, data, self.events, create=True)
        want = self.entry(command)
        for event in self.events:
            entries = hooks.setdefault(event, [])
            if [e for e in entries if _contains_ours(e)] == [want]:
                continue
            self.strip(entries)
            entries.append(want)

    def remove(self, path: Path, data: dict) -> None:
        hooks = _hooks_table(path, data, (), create=False)
        if hooks is None:
            return
        changed = False
        for event in list(hooks):
            entries = hooks[event]
            if isinstance(entries, list) and self.strip(entries):
                changed = True
                if not entries:
                    del hooks[event]
        if changed and not hooks:
            del data["hooks"]


def _contains_ours(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    if is_ours(entry.get("command")):
        return True
    handlers = entry.get("hooks")
    return isinstance(handlers, list) and any(
        isinstance(h, dict) and is_ours(h.get("command")) for h in handlers
    )


def _nested_entry(command: str) -> dict:
    # No matcher: matches every tool in both Claude and Codex (Codex's matcher is a regex).
    return {"hooks": [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT}]}


CLAUDE_SHAPE = _Shape(CLAUDE_EVENTS, _nested_entry, _strip_nested, {})
CODEX_SHAPE = _Shape(CODEX_EVENTS, _nested_entry, _strip_nested, {})
CURSOR_SHAPE = _Shape(
    CURSOR_EVENTS, lambda command: {"command": command}, _strip_flat, {"version": 1}
)


# --- one managed file --------------------------------------------------------------------------


@dataclass(kw_only=True)
class Target(config_merge.ConfigMerge):
    """One agent config file and deskpet's part in it (merged by config_merge.ConfigMerge).

    Attributes (besides ConfigMerge's):
        agent: the agent's id.
        state: INSTALLED, OUTDATED, ABSENT or "foreign", for a parsed document.
        label: "hooks" or "notify": what deskpet's part is, in words for the owner.
    """

    agent: str
    state: Callable[[Any], str]
    label: str = "hooks"


def _json_target(agent: str, path: Path, shape: _Shape) -> Target:
    def command() -> str:
        return hook_command(agent)

    def add(data: dict) -> None:
        if shape is CURSOR_SHAPE:
            data.setdefault("version", 1)
        shape.add(path, data, command())

    def empty(data: dict) -> bool:
        return data in ({}, shape.skeleton)

    def state(data: dict) -> str:
        return shape.state(path, data, command())

    return Target(
        agent=agent,
        path=path,
        fmt=JsonFormat(path),
        state=state,
        add=add,
        remove=lambda data: shape.remove(path, data),
        holds_ours=lambda data: state(data) != ABSENT,
        empty=empty,
    )


def _notify_state(data: tomlkit.TOMLDocument) -> str:
    value = data.get("notify")
    if value is None:
        return ABSENT
    argv = list(value) if isinstance(value, list) else [value]
    if not any(is_ours(str(a)) for a in argv):
        return "foreign"
    return INSTALLED if [str(a) for a in argv] == hook_argv() + ["--agent", "codex"] else OUTDATED


def _notify_add(data: tomlkit.TOMLDocument) -> None:
    # Codex has one notify program; if the owner set theirs, it stays (rollouts still work).
    if _notify_state(data) in (ABSENT, OUTDATED):
        data["notify"] = hook_argv() + ["--agent", "codex"]


def _notify_remove(data: tomlkit.TOMLDocument) -> None:
    if _notify_state(data) in (INSTALLED, OUTDATED):
        del data["notify"]


def targets(agent: str) -> list[Target]:
    if agent == "claude":
        return [_json_target(agent, claude_dir() / "settings.json", CLAUDE_SHAPE)]
    if agent == "codex":
        config = codex_dir() / "config.toml"
        return [
            _json_target(agent, codex_dir() / "hooks.json", CODEX_SHAPE),
            Target(
                agent=agent,
                path=config,
                fmt=TomlFormat(config),
                state=_notify_state,
                add=_notify_add,
                remove=_notify_remove,
                holds_ours=lambda data: _notify_state(data) != ABSENT,
                empty=lambda data: not data.unwrap(),
                label="notify",
            ),
        ]
    if agent == "cursor":
        return [_json_target(agent, cursor_dir() / "hooks.json", CURSOR_SHAPE)]
    raise ValueError(f"unknown agent {agent!r}; expected one of {', '.join(AGENTS)}")


# --- what the CLI and the app call -----------------------------------------------------------


@dataclass
class Report:
    """The outcome of status/install/uninstall/repair for one agent.

    Attributes:
        agent: "claude", "codex" or "cursor".
        detected: the agent seems installed on this Mac.
        files: {path: state} with states INSTALLED, OUTDATED, ABSENT, "foreign" (notify set to
            another program) or "refused" (could not parse).
        changed: files this call wrote.
        lines: readable, truthful sentences for the owner.
    """

    agent: str
    detected: bool = False
    files: dict[Path, str] = field(default_factory=dict)
    changed: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    ok: bool = True

    @property
    def installed(self) -> bool:
        hooks = [s for p, s in self.files.items() if p.suffix == ".json"]
        return bool(hooks) and all(s == INSTALLED for s in hooks)


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def status(agent: str) -> Report:
    report = Report(agent, detected=detect(agent))
    if not report.detected:
        report.lines.append(f"{agent}: not found on this computer")
    for target in targets(agent):
        name = _home_relative(target.path)
        try:
            _raw, data = target.load()
            state = target.state(data)
        except ParseRefused as exc:
            report.files[target.path] = "refused"
            report.ok = False
            report.lines.append(
                f"{agent}: cannot read {name} ({exc.reason}); deskpet will not touch it"
            )
            continue
        report.files[target.path] = state
        report.lines.append(f"{agent}: {_describe(target, state, name)}")
    if agent == "codex" and report.files.get(codex_dir() / "hooks.json") in (INSTALLED, OUTDATED):
        report.lines.append(
            "codex: Codex runs new or changed hooks only after you trust them: "
            "open Codex and type /hooks to review and trust deskpet's hooks"
        )
    if agent == "codex":
        report.lines.append("codex: deskpet also follows Codex's session files, no setup needed")
    return report


def _describe(target: Target, state: str, name: str) -> str:
    if target.label == "notify":
        return {
            INSTALLED: f"notify in {name} runs deskpet",
            OUTDATED: f"notify in {name} points to an old deskpet (repair will fix it)",
            ABSENT: f"notify in {name} is not set",
            "foreign": f"notify in {name} runs another program; deskpet leaves it alone",
        }[state]
    return {
        INSTALLED: f"hooks installed in {name}",
        OUTDATED: f"hooks in {name} are out of date or incomplete (install or repair fixes them)",
        ABSENT: f"hooks not installed ({name})",
    }[state]


def _change(agent: str, action: str) -> Report:
    report = Report(agent, detected=detect(agent))
    for target in targets(agent):
        name = _home_relative(target.path)
        try:
            changed = target.install() if action == "install" else target.uninstall()
        except ParseRefused as exc:
            report.ok = False
            report.files[target.path] = "refused"
            report.lines.append(f"{agent}: cannot parse {name} ({exc.reason}); changed nothing")
            continue
        except OSError as exc:
            report.ok = False
            report.lines.append(f"{agent}: could not update {name}: {exc}")
            continue
        if changed:
            report.changed.append(target.path)
        verb = "updated" if changed else "already up to date:"
        if action == "uninstall":
            verb = "removed deskpet from" if changed else "nothing of deskpet's in"
        report.lines.append(f"{agent}: {verb} {name}")
    after = status(agent)
    report.files = {**after.files, **{p: s for p, s in report.files.items() if s == "refused"}}
    if action == "install":
        report.lines += [line for line in after.lines if "trust" in line or "another" in line]
    return report


def install(agent: str) -> Report:
    return _change(agent, "install")


def uninstall(agent: str) -> Report:
    return _change(agent, "uninstall")


def expand(which: str) -> list[str]:
    """ "all" -> every agent; otherwise the one named."""
    if which == "all":
        return list(AGENTS)
    if which not in AGENTS:
        raise ValueError(f"unknown agent {which!r}; expected one of {', '.join(AGENTS)} or all")
    return [which]


def run(action: str, which: str = "all") -> list[Report]:
    """status | install | uninstall for one agent or all. `install all` skips agents that are
    not on this computer; naming an agent installs it regardless."""
    reports = []
    for agent in expand(which):
        if action == "status":
            reports.append(status(agent))
        elif action == "install" and which == "all" and not detect(agent):
            reports.append(Report(agent, lines=[f"{agent}: not found on this computer, skipped"]))
        elif action in ("install", "uninstall"):
            reports.append(_change(agent, action))
        else:
            raise ValueError(f"unknown action {action!r}")
    return reports


def repair() -> list[str]:
    """At app start: re-point hooks that name an old deskpet path (the app moved). Only touches
    agents that already have deskpet's entries; never raises."""
    lines = []
    for agent in AGENTS:
        try:
            report = status(agent)
            if any(state == OUTDATED for state in report.files.values()):
                lines += install(agent).lines
        except Exception as exc:  # the pet must start even with a broken agent config
            lines.append(f"{agent}: repair failed: {exc}")
    return lines
