"""Install, uninstall and check deskpet's hooks in each agent's own config files.

Which files, which events and which entries come from the agent's declaration
(bridge/agents/); how a file is merged, backed up, written and restored byte for byte comes
from deskpet.config_merge. What is left here is the shape of hook tables: a JSON "hooks" object
whose events hold lists of entries, either groups of handlers (Claude Code, Codex, Gemini CLI)
or flat handlers (Cursor), and Codex's one-program `notify` key in TOML. deskpet's entries are
found by a marker in their command (hook.MARKERS); the owner's are never touched, and an event
the owner took deskpet's entry out of stays out until the owner installs again (repair only
re-points entries that are there).

What the owner last asked deskpet to do with each file (install or uninstall) is recorded
(bridge/intents.py), so the app can tell "another program rewrote the file without deskpet's
hooks" from "the owner took them out" (bridge/hooks_watch.py).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from deskpet import config_merge, paths, safefile
from deskpet.bridge import agents, hook, intents
from deskpet.bridge.agents import Agent, HooksFile, NotifyProgram
from deskpet.bridge.agents.spec import HOOK_TIMEOUT_SECONDS
from deskpet.config_merge import JsonFormat, TomlFormat
from deskpet.i18n import Said
from deskpet.safefile import ParseRefused, ReadOnly
from deskpet.settings import Settings, SettingsFileError

log = logging.getLogger(__name__)

INSTALLED = "installed"
OUTDATED = "outdated"  # ours, but with an old command path or missing events
ABSENT = "absent"
FOREIGN = "foreign"  # a one-program key (Codex's notify) names the owner's own program
REFUSED = "refused"  # the file cannot be parsed; deskpet leaves it alone


def detect(agent_id: str) -> bool:
    """Whether the agent looks installed: its config folder or its program exists."""
    return agents.get(agent_id).detected()


def hook_argv() -> list[str]:
    """How to run the shim: the `deskpet-hook` script next to this Python, else `-m`."""
    script = Path(sys.executable).parent / "deskpet-hook"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "deskpet.bridge.hook"]


def _quote(arg: str) -> str:
    # Double quotes for the shell that runs hook commands ("Application Support" has a space).
    return '"' + re.sub(r'(["\\$`])', r"\\\1", arg) + '"'


def hook_command(agent_id: str) -> str:
    program, *args = hook_argv()  # args are "-m deskpet.bridge.hook" at most: no quoting needed
    start = [hook.AUTOSTART] if autostart_wanted() else []
    return " ".join([_quote(program), *args, "--agent", agent_id, *start])


def autostart_wanted() -> bool:
    """The owner's "Start with an agent" (settings: start_with_agents), read here because the
    hook cannot afford to read settings on every event; off when the settings cannot be read."""
    try:
        return bool(Settings().get("start_with_agents"))
    except (SettingsFileError, OSError):
        return False


def is_ours(command: object) -> bool:
    return isinstance(command, str) and any(m in command for m in hook.MARKERS)


# --- hook tables -------------------------------------------------------------------------------


def _hooks_table(path: Path, data: dict, events: tuple[str, ...], create: bool) -> dict | None:
    hooks = data.get("hooks")
    if hooks is None:
        if not create:
            return None
        hooks = data["hooks"] = {}
    if not isinstance(hooks, dict):
        raise ParseRefused(path, Said('"hooks" is not an object'))
    for event in events:
        if event in hooks and not isinstance(hooks[event], list):
            raise ParseRefused(path, Said('"hooks.{event}" is not a list', event=event))
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


def _contains_ours(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    if is_ours(entry.get("command")):
        return True
    handlers = entry.get("hooks")
    return isinstance(handlers, list) and any(
        isinstance(h, dict) and is_ours(h.get("command")) for h in handlers
    )


@dataclass(kw_only=True)
class Target(config_merge.ConfigMerge):
    """One agent config file and deskpet's part in it (merged by config_merge.ConfigMerge).

    Attributes (besides ConfigMerge's):
        agent: the agent's id.
        state: INSTALLED, OUTDATED, ABSENT or FOREIGN, for a parsed document.
        repoint: like `add`, but only brings deskpet's entries already there up to date (a
            new command path); it never adds one where there is none.
        label: "hooks" or "notify": what deskpet's part is, in words for the owner.
    """

    agent: str
    state: Callable[[Any], str]
    repoint: Callable[[Any], None]
    label: str = "hooks"


def _hooks_target(agent: Agent, spec: HooksFile) -> Target:
    """One entry per registered event in a JSON "hooks" table, found by its command."""
    path = spec.path()
    strip = _strip_nested if spec.nested else _strip_flat

    def want(event: str) -> dict:
        timeout = agent.hook_timeout(event)
        if timeout == HOOK_TIMEOUT_SECONDS:
            return spec.entry(hook_command(agent.id))
        return spec.entry(hook_command(agent.id), timeout=timeout)

    def state(data: dict) -> str:
        hooks = _hooks_table(path, data, agent.register, create=False) or {}
        ours = {
            event: [e for e in hooks.get(event) or [] if _contains_ours(e)]
            for event in agent.register
        }
        if not any(ours.values()):
            return ABSENT
        right = all(found == [want(event)] for event, found in ours.items())
        return INSTALLED if right else OUTDATED

    def add(data: dict) -> None:
        for key, value in spec.skeleton.items():
            data.setdefault(key, value)
        hooks = _hooks_table(path, data, agent.register, create=True)
        for event in agent.register:
            entry = want(event)
            entries = hooks.setdefault(event, [])
            if [e for e in entries if _contains_ours(e)] == [entry]:
                continue
            strip(entries)
            entries.append(entry)

    def repoint(data: dict) -> None:
        hooks = _hooks_table(path, data, agent.register, create=False) or {}
        for event in agent.register:
            entry = want(event)
            entries = hooks.get(event) or []
            ours = [i for i, e in enumerate(entries) if _contains_ours(e)]
            if not ours or [entries[i] for i in ours] == [entry]:
                continue  # taken out by the owner, or already right
            strip(entries)
            entries.insert(min(ours[0], len(entries)), entry)

    def remove(data: dict) -> None:
        hooks = _hooks_table(path, data, (), create=False)
        if hooks is None:
            return
        changed = False
        for event in list(hooks):
            entries = hooks[event]
            if isinstance(entries, list) and strip(entries):
                changed = True
                if not entries:
                    del hooks[event]
        if changed and not hooks:
            del data["hooks"]

    return Target(
        agent=agent.id,
        path=path,
        fmt=JsonFormat(path),
        state=state,
        add=add,
        repoint=repoint,
        remove=remove,
        holds_ours=lambda data: state(data) != ABSENT,
        empty=lambda data: data in ({}, dict(spec.skeleton)),
        trimmed=lambda data: _trimmed(data, spec),
    )


def _trimmed(data: object, spec: HooksFile) -> object:
    """The document without empty event lists, an empty "hooks" table or skeleton keys at
    their skeleton value: what install may add and uninstall cannot tell from the owner's."""
    if not isinstance(data, dict):
        return data
    data = copy.deepcopy(data)
    for key, value in spec.skeleton.items():
        if data.get(key) == value:
            del data[key]
    hooks = data.get("hooks")
    if isinstance(hooks, dict):
        for event in [e for e, entries in hooks.items() if entries == []]:
            del hooks[event]
        if not hooks:
            del data["hooks"]
    return data


def _notify_target(agent: Agent, spec: NotifyProgram) -> Target:
    """A TOML key naming the one program the agent runs (Codex's `notify`)."""
    path = spec.path()

    def state(data: tomlkit.TOMLDocument) -> str:
        value = data.get(spec.key)
        if value is None:
            return ABSENT
        argv = list(value) if isinstance(value, list) else [value]
        if not any(is_ours(str(a)) for a in argv):
            return FOREIGN
        return INSTALLED if [str(a) for a in argv] == _notify_argv(agent) else OUTDATED

    def add(data: tomlkit.TOMLDocument) -> None:
        # The agent runs one such program: if the owner set theirs, it stays.
        if state(data) in (ABSENT, OUTDATED):
            data[spec.key] = _notify_argv(agent)

    def repoint(data: tomlkit.TOMLDocument) -> None:
        if state(data) == OUTDATED:
            data[spec.key] = _notify_argv(agent)

    def remove(data: tomlkit.TOMLDocument) -> None:
        if state(data) in (INSTALLED, OUTDATED):
            del data[spec.key]

    return Target(
        agent=agent.id,
        path=path,
        fmt=TomlFormat(path),
        state=state,
        add=add,
        repoint=repoint,
        remove=remove,
        holds_ours=lambda data: state(data) != ABSENT,
        empty=lambda data: not data.unwrap(),
        label="notify",
    )


def _notify_argv(agent: Agent) -> list[str]:
    return hook_argv() + ["--agent", agent.id]


def targets(agent_id: str) -> list[Target]:
    """The agent's config files, as the installer sees them; ValueError for an unknown agent."""
    agent = agents.get(agent_id)
    return [
        _hooks_target(agent, spec) if isinstance(spec, HooksFile) else _notify_target(agent, spec)
        for spec in agent.files
    ]


# --- what the CLI and the app call -----------------------------------------------------------


@dataclass
class Report:
    """The outcome of status/install/uninstall/repair for one agent.

    Attributes:
        agent: the agent's id (bridge/agents).
        detected: the agent seems installed on this Mac.
        files: {path: state} with states INSTALLED, OUTDATED, ABSENT, FOREIGN (notify set to
            another program) or REFUSED (could not parse).
        changed: files this call wrote.
        lines: readable, truthful sentences for the owner.
        advice: the lines among them worth repeating after an install (what the owner must do
            next, what deskpet left alone).
        problems: why a file could not be read or changed, one sentence each (no agent id).
        ok: no problem.
    """

    agent: str
    detected: bool = False
    files: dict[Path, str] = field(default_factory=dict)
    changed: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def installed(self) -> bool:
        hooks = [s for p, s in self.files.items() if p.suffix == ".json"]
        return bool(hooks) and all(s == INSTALLED for s in hooks)


def _line(agent: str, text: str) -> Said:
    """One report line: the agent's id, then what was found or done (a Said, so the owner
    reads it in their language; str() is the English)."""
    return Said("{agent}: {line}", agent=agent, line=text)


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def status(agent_id: str) -> Report:
    agent = agents.get(agent_id)
    report = Report(agent_id, detected=agent.detected())
    if not report.detected:
        report.lines.append(_line(agent_id, Said("not found on this computer")))
    hooked = False
    for target in targets(agent_id):
        name = _home_relative(target.path)
        try:
            _raw, data = target.load()
            state = target.state(data)
        except ParseRefused as exc:
            report.files[target.path] = REFUSED
            report.problems.append(
                Said(
                    "cannot read {name} ({why}); deskpet will not touch it",
                    name=name,
                    why=exc.reason,
                )
            )
            report.lines.append(_line(agent_id, report.problems[-1]))
            continue
        report.files[target.path] = state
        line = _line(agent_id, _describe(target, state, name))
        report.lines.append(line)
        if state == FOREIGN:
            report.advice.append(line)
        hooked = hooked or (target.label == "hooks" and state in (INSTALLED, OUTDATED))
    if hooked:
        notes = [_line(agent_id, note) for note in agent.installed_notes]
        report.lines += notes
        report.advice += notes
    report.lines += [_line(agent_id, note) for note in agent.notes]
    return report


def _describe(target: Target, state: str, name: str) -> Said:
    if target.label == "notify":
        return {
            INSTALLED: Said("notify in {name} runs deskpet", name=name),
            OUTDATED: Said(
                "notify in {name} points to an old deskpet (repair will fix it)", name=name
            ),
            ABSENT: Said("notify in {name} is not set", name=name),
            FOREIGN: Said(
                "notify in {name} runs another program; deskpet leaves it alone", name=name
            ),
        }[state]
    return {
        INSTALLED: Said("hooks installed in {name}", name=name),
        OUTDATED: Said(
            "hooks in {name} are out of date or incomplete (install or repair fixes them)",
            name=name,
        ),
        ABSENT: Said("hooks not installed ({name})", name=name),
    }[state]


def _change(agent: str, action: str) -> Report:
    report = Report(agent, detected=detect(agent))
    if action == "uninstall":
        # Before the files change: a watching pet must never take this for another program.
        intents.record({target.path: False for target in targets(agent)})
    for target in targets(agent):
        name = _home_relative(target.path)
        try:
            changed = target.install() if action == "install" else target.uninstall()
        except ReadOnly:
            log.warning("%s: %s is read-only; left it as it is", agent, target.path)
            report.problems.append(Said("{path} is read-only; deskpet left it as it is", path=name))
            report.lines.append(_line(agent, report.problems[-1]))
            continue
        except ParseRefused as exc:
            report.files[target.path] = REFUSED
            report.problems.append(
                Said("cannot parse {name} ({why}); changed nothing", name=name, why=exc.reason)
            )
            report.lines.append(_line(agent, report.problems[-1]))
            log.warning("%s: %s", agent, report.problems[-1])
            continue
        except OSError as exc:
            report.problems.append(Said("could not update {name}: {why}", name=name, why=exc))
            log.warning("%s: %s", agent, report.problems[-1])
            report.lines.append(_line(agent, report.problems[-1]))
            continue
        if changed:
            report.changed.append(target.path)
        done = (
            Said("updated {name}", name=name)
            if changed
            else Said("already up to date: {name}", name=name)
        )
        if action == "uninstall":
            done = (
                Said("removed deskpet from {name}", name=name)
                if changed
                else Said("nothing of deskpet's in {name}", name=name)
            )
        report.lines.append(_line(agent, done))
    after = status(agent)
    intents.record(
        {
            path: action == "install" and state in (INSTALLED, OUTDATED)
            for path, state in after.files.items()
            if state != REFUSED
        }
    )
    report.files = {**after.files, **{p: s for p, s in report.files.items() if s == REFUSED}}
    if action == "install":
        report.lines += after.advice
    return report


def install(agent: str) -> Report:
    return _change(agent, "install")


def uninstall(agent: str) -> Report:
    return _change(agent, "uninstall")


def expand(which: str) -> list[str]:
    """ "all" -> every agent; otherwise the one named."""
    if which == "all":
        return list(agents.ids())
    if which not in agents.ids():
        raise ValueError(
            f"unknown agent {which!r}; expected one of {', '.join(agents.ids())} or all"
        )
    return [which]


def run(action: str, which: str = "all") -> list[Report]:
    """status | install | uninstall for one agent or all. `install all` skips agents that are
    not on this computer; naming an agent installs it regardless."""
    reports = []
    for agent in expand(which):
        if action == "status":
            reports.append(status(agent))
        elif action == "install" and which == "all" and not detect(agent):
            skipped = _line(agent, Said("not found on this computer, skipped"))
            reports.append(Report(agent, lines=[skipped]))
        elif action in ("install", "uninstall"):
            reports.append(_change(agent, action))
        else:
            raise ValueError(f"unknown action {action!r}")
    return reports


def repair() -> list[str]:
    """At app start: re-point deskpet's hooks that name an old deskpet path (the app moved).
    Only entries already there are changed: an event the owner took deskpet out of stays out,
    and agents without deskpet's entries are not touched. One line per file changed or
    refused; never raises."""
    lines = []
    for agent in agents.ids():
        try:
            files = status(agent).files
            for target in targets(agent):
                if files.get(target.path) != OUTDATED:
                    continue
                name = _home_relative(target.path)
                try:
                    if dataclasses.replace(target, add=target.repoint).install():
                        lines.append(_line(agent, Said("updated {name}", name=name)))
                except ReadOnly:
                    log.warning("%s: %s is read-only; not repaired", agent, target.path)
                    read_only = Said("{path} is read-only; deskpet left it as it is", path=name)
                    lines.append(_line(agent, read_only))
        except Exception as exc:  # the pet must start even with a broken agent config
            log.warning("%s: repair failed: %s", agent, exc)
            lines.append(_line(agent, Said("repair failed: {why}", why=exc)))
    return lines


def remove_stale_temps() -> list[Path]:
    """At start: deskpet's own temporary files that a killed save left in its data folder and
    beside the agents' config files it writes (safefile.remove_stale_temps). Never raises."""
    folders: set[Path] = set()
    try:
        folders.add(paths.data_dir())
    except Exception:  # no HOME to find it in: nothing to clean there
        pass
    for agent in agents.ids():
        try:
            folders |= {Path(os.path.realpath(t.path)).parent for t in targets(agent)}
        except Exception:
            continue
    return [path for folder in sorted(folders) for path in safefile.remove_stale_temps(folder)]
