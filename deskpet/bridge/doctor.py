"""`deskpet doctor`: why doesn't my pet react? One finding per thing that can break.

Per agent: are deskpet's hooks in its files, does the installed command name a program that
exists, does that exact command run and does its test event reach a pet (the running one, or a
listener doctor opens on the socket for a moment when no pet runs), and what the pet last heard
from that agent. Then the socket, the model and the log file.

The test event is an ordinary hook payload whose event name is server.PROBE_EVENT and whose
session id is a fresh nonce: the hook forwards it like any event, and the bridge remembers the
nonce instead of handing it on, so it never moves the pet, rings or is narrated.

No Qt and no MLX: the Settings window runs `diagnose` on a worker thread.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shlex
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from deskpet.bridge import agents, installers, intents, server
from deskpet.bridge.agents import HooksFile
from deskpet.bridge.doctor_server import check_server
from deskpet.i18n import Said, shown

log = logging.getLogger(__name__)

OK, NOTE, FAIL = "ok", "note", "fail"
ASK_TIMEOUT = 1.0  # seconds for the pet to answer a doctor request
RUN_TIMEOUT = 5.0  # the hook needs well under a second; an agent allows it 10
ARRIVAL_WAIT = 1.0  # how long a sent test event may take to show up at the pet
MAX_ANSWER = 64 * 1024
ACTIVITY_FILES = 200  # newest-file scans look at no more than this many entries per folder


@dataclass
class Finding:
    """One line of the diagnosis.

    Attributes:
        topic: an agent id, or "pet", "model", "server", "log".
        level: OK, NOTE (worth knowing, not broken) or FAIL.
        text: what was found, with what to do when something is wrong: English (a Said when
            deskpet words it, which `shown_line` says in the owner's language).
    """

    topic: str
    level: str
    text: str

    def line(self) -> str:
        mark = {OK: "ok", NOTE: "--", FAIL: "!!"}[self.level]
        return f"{mark} {self.topic}: {self.text}"

    def shown_line(self) -> str:
        """The line in the owner's language (the marks and the topic stay as they are)."""
        return f"{self.line()[:2]} {self.topic}: {shown(self.text)}"


@dataclass
class Diagnosis:
    """Everything `diagnose` found; healthy when nothing failed."""

    findings: list[Finding] = field(default_factory=list)
    pet: dict | None = None  # the running pet's doctor answer, if one answered

    @property
    def healthy(self) -> bool:
        return all(f.level != FAIL for f in self.findings)

    def add(self, topic: str, level: str, text: str) -> None:
        self.findings.append(Finding(topic, level, text))

    def lines(self) -> list[str]:
        """The findings in English, for the log and `--json`."""
        return [f.line() for f in self.findings]

    def shown_lines(self) -> list[str]:
        """The findings in the owner's language, for the terminal and the settings window."""
        return [f.shown_line() for f in self.findings]

    def to_json(self) -> dict:
        return {
            "healthy": self.healthy,
            "findings": [asdict(f) for f in self.findings],
            "pet": self.pet,
        }


# --- talking to the pet ----------------------------------------------------------------------


def ask_pet(path: Path | None = None, timeout: float = ASK_TIMEOUT) -> dict | None:
    """The running pet's doctor answer, or None when nothing answers on the socket."""
    path = path or server.socket_path()
    request = json.dumps({"v": 1, "request": server.DOCTOR_REQUEST}).encode() + b"\n"
    deadline = time.monotonic() + timeout
    data = b""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(request)
            while b"\n" not in data and len(data) < MAX_ANSWER:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    try:
        answer = json.loads(data.split(b"\n", 1)[0])
    except ValueError:
        return None
    return answer if isinstance(answer, dict) and answer.get("pet") == "deskpet" else None


def probe_payload(nonce: str) -> dict:
    """The test event doctor feeds the installed hook (hook and notify shapes at once)."""
    return {
        "hook_event_name": server.PROBE_EVENT,
        "type": server.PROBE_EVENT,
        "session_id": nonce,
        "thread-id": nonce,
    }


# --- the installed commands ------------------------------------------------------------------


@dataclass
class Installed:
    """deskpet's command as one agent file holds it: a shell line (hooks) or an argv (notify)."""

    path: Path
    shell: str = ""
    argv: list[str] = field(default_factory=list)

    def program(self) -> str:
        if self.argv:
            return self.argv[0]
        try:
            words = shlex.split(self.shell)
        except ValueError:
            return ""
        return words[0] if words else ""


def installed_commands(agent_id: str) -> list[Installed]:
    """deskpet's command in each of the agent's files that holds one (the first event's)."""
    agent = agents.get(agent_id)
    found = []
    for spec, target in zip(agent.files, installers.targets(agent_id), strict=True):
        try:
            _raw, data = target.load()
        except installers.ParseRefused:
            continue
        if isinstance(spec, HooksFile):
            command = _first_hook_command(data, agent.register)
            if command:
                found.append(Installed(target.path, shell=command))
        else:
            value = data.get(spec.key)
            argv = [str(a) for a in value] if isinstance(value, list) else []
            if argv and any(installers.is_ours(a) for a in argv):
                found.append(Installed(target.path, argv=argv))
    return found


def _first_hook_command(data: object, events: tuple[str, ...]) -> str:
    hooks = data.get("hooks") if isinstance(data, dict) else None
    if not isinstance(hooks, dict):
        return ""
    for event in events:
        for entry in hooks.get(event) or []:
            if not isinstance(entry, dict):
                continue
            handlers = entry.get("hooks") if isinstance(entry.get("hooks"), list) else [entry]
            for handler in handlers:
                command = handler.get("command") if isinstance(handler, dict) else None
                if installers.is_ours(command):
                    return command
    return ""


def run_installed(
    installed: Installed, nonce: str, reply: str = "", timeout: float = RUN_TIMEOUT
) -> str:
    """Run the installed command on a test event as the agent would; "" when it exited 0 and
    printed exactly `reply` (what the agent reads), else why not."""
    payload = json.dumps(probe_payload(nonce))
    if installed.argv:
        argv, stdin = [*installed.argv, payload], ""
    else:
        argv, stdin = ["/bin/sh", "-c", installed.shell], payload
    try:
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return Said("did not finish within {seconds:g} s", seconds=timeout)
    except OSError as exc:
        return Said("cannot run ({why})", why=exc.strerror or exc)
    if done.returncode != 0:
        return Said("exited with status {status}", status=done.returncode)
    if done.stdout.strip() != reply.strip():
        return Said("prints something the agent does not expect (a wrapper or profile script?)")
    return ""


def _program_problem(program: str) -> str:
    if not program:
        return Said("names no program")
    path = Path(program)
    if not path.is_absolute():
        return ""  # found on the agent's PATH, which doctor cannot see
    if not path.exists():
        return Said("names {program}, which no longer exists", program=program)
    if not os.access(path, os.X_OK):
        return Said("names {program}, which is not executable", program=program)
    return ""


# --- is the agent in use? ----------------------------------------------------------------------


def _newest_mtime(folder: Path, pattern: str) -> float:
    newest = 0.0
    try:
        for i, path in enumerate(folder.glob(pattern)):
            if i >= ACTIVITY_FILES:
                break
            newest = max(newest, path.stat().st_mtime)
    except OSError:
        pass
    return newest


def last_activity(agent_id: str, now: float | None = None) -> float:
    """When the agent last wrote a session file (0.0 when unknown): Codex's rollouts of today,
    Claude Code's transcripts."""
    now = time.time() if now is None else now
    if agent_id == "codex":
        from deskpet.bridge.codex_rollout import day_folders

        root = agents.get("codex").config_dir() / "sessions"
        moment = datetime.fromtimestamp(now).astimezone()
        return max((_newest_mtime(f, "*.jsonl") for f in day_folders(root, moment)), default=0.0)
    if agent_id == "claude":
        return _newest_mtime(agents.get("claude").config_dir() / "projects", "*/*.jsonl")
    return 0.0


def _ago(seconds: float) -> Said:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return Said("{n} s ago", n=seconds)
    if seconds < 90 * 60:
        return Said("{n} min ago", n=seconds // 60)
    if seconds < 36 * 3600:
        return Said("{n} h ago", n=seconds // 3600)
    return Said("{n} days ago", n=seconds // 86400)


# --- the diagnosis -----------------------------------------------------------------------------


def diagnose(socket_file: Path | None = None, *, wait: float = ARRIVAL_WAIT) -> Diagnosis:
    """Check every agent, the pet, the model and the log file. Never raises for what it finds."""
    path = socket_file or server.socket_path()
    result = Diagnosis()
    result.pet = ask_pet(path)
    listener = None
    if result.pet is not None:
        started = result.pet.get("started") or 0
        pid = result.pet.get("pid")
        if started:
            since = _ago(time.time() - started)
            text = Said(
                "running (pid {pid}), listening on {path} since {ago}",
                ago=since,
                pid=pid,
                path=path,
            )
        else:
            text = Said("running (pid {pid}), listening on {path}", pid=pid, path=path)
        result.add("pet", OK, text)
    else:
        listener = _open_listener(path, result)
    try:
        for agent_id in agents.ids():
            _check_agent(agent_id, result, listener, path, wait)
    finally:
        if listener is not None:
            listener.stop()
    _check_model(result)
    check_server(result)  # a finding only when the brain is a model server
    _check_log(result)
    return result


def _open_listener(path: Path, result: Diagnosis) -> server.BridgeServer | None:
    """No pet answered: listen on the socket for the test events, unless a pet holds the lock
    (it is alive but not answering), which doctor never takes over."""
    listener = server.BridgeServer(lambda _event: None, path=path)
    try:
        listener.start()
    except server.PetAlreadyRunning:
        result.add(
            "pet",
            FAIL,
            Said(
                "a deskpet holds {lock} but does not answer on {path}: quit it "
                "(or end its process) and start deskpet again",
                lock=listener.lock,
                path=path,
            ),
        )
        return None
    except (server.BridgeError, OSError) as exc:
        result.add("pet", FAIL, Said("the socket cannot be used: {why}", why=exc))
        return None
    result.add("pet", FAIL, Said("deskpet is not running: start it (your agents talk to the pet)"))
    return listener


def _arrived(nonce: str, listener, path: Path, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        if listener is not None:
            seen = nonce in listener.probes
        else:
            answer = ask_pet(path)
            seen = answer is not None and nonce in (answer.get("probes") or {})
        if seen or time.monotonic() >= deadline:
            return seen
        time.sleep(0.05)


def _check_agent(agent_id: str, result: Diagnosis, listener, path: Path, wait: float) -> None:
    agent = agents.get(agent_id)
    name = agent.long_name
    report = installers.status(agent_id)
    hooks_states = {p: s for p, s in report.files.items() if p.suffix == ".json"}
    for problem in report.problems:
        result.add(agent_id, FAIL, problem)
    installed = installed_commands(agent_id)
    if not installed:
        if not report.detected:
            result.add(agent_id, NOTE, Said("{agent} is not on this computer", agent=name))
        elif any(intents.load().get(str(p)) is False for p in report.files):
            result.add(
                agent_id,
                NOTE,
                Said(
                    "you removed deskpet's hooks: `deskpet agents install {agent}` connects again",
                    agent=agent_id,
                ),
            )
        else:
            result.add(
                agent_id,
                FAIL,
                Said(
                    "deskpet's hooks are not installed: run `deskpet agents install {agent}` "
                    "(or Install in the tray's Agents menu)",
                    agent=agent_id,
                ),
            )
        return
    if any(s == installers.OUTDATED for s in hooks_states.values()):
        result.add(
            agent_id,
            NOTE,
            Said(
                "some of deskpet's hook events are missing or old: "
                "`deskpet agents install {agent}` puts them all back",
                agent=agent_id,
            ),
        )
    reached = False
    for entry in installed:
        where = installers._home_relative(entry.path)
        problem = _program_problem(entry.program())
        if problem:
            result.add(
                agent_id,
                FAIL,
                Said(
                    "the hook in {where} {problem}: run `deskpet agents install {agent}`",
                    where=where,
                    problem=problem,
                    agent=agent_id,
                ),
            )
            continue
        nonce = "doctor-" + secrets.token_hex(8)
        failure = run_installed(entry, nonce, agent.reply_for(server.PROBE_EVENT))
        if failure:
            result.add(
                agent_id,
                FAIL,
                Said(
                    "the hook in {where} {problem}: run `deskpet agents install {agent}`",
                    where=where,
                    problem=failure,
                    agent=agent_id,
                ),
            )
            continue
        if listener is None and result.pet is None:
            result.add(
                agent_id, NOTE, Said("the hook in {where} runs (no pet to hear it)", where=where)
            )
            continue
        if _arrived(nonce, listener, path, wait):
            reached = True
            result.add(
                agent_id,
                OK,
                Said("the hook in {where} runs and its test event arrives", where=where),
            )
        else:
            result.add(
                agent_id,
                FAIL,
                Said(
                    "the hook in {where} runs but its test event never reached the pet: "
                    "is DESKPET_HOME the same for the agent and the pet?",
                    where=where,
                ),
            )
    if result.pet is not None and reached:
        _check_heard(agent_id, result)


def _check_heard(agent_id: str, result: Diagnosis) -> None:
    """What the running pet heard from the agent, against whether the agent was in use."""
    name = agents.long_name(agent_id)
    pet = result.pet or {}
    heard = (pet.get("agents") or {}).get(agent_id) or {}
    started = float(pet.get("started") or 0)
    now = time.time()
    channels = heard.get("channels") or {}
    if heard.get("events"):
        result.add(
            agent_id,
            OK,
            Said(
                "last event {ago} ({count} since the pet started)",
                ago=_ago(now - float(heard.get("last") or now)),
                count=heard["events"],
            ),
        )
    active = last_activity(agent_id, now)
    used_since = active > started > 0
    if agent_id == "codex" and used_since and not channels.get("hook"):
        result.add(
            agent_id,
            FAIL,
            Said(
                "Codex has run since the pet started but its hooks never did: not trusted yet, "
                "type /hooks in Codex and trust deskpet's hooks"
            ),
        )
    elif used_since and not heard.get("events"):
        result.add(
            agent_id,
            FAIL,
            Said(
                "{agent} has run since the pet started but its hooks never did: restart your "
                "{agent} sessions (they read their hooks when they start)",
                agent=name,
            ),
        )
    elif not heard.get("events"):
        result.add(
            agent_id, NOTE, Said("nothing heard from {agent} since the pet started", agent=name)
        )


def _check_model(result: Diagnosis) -> None:
    from deskpet.inference.source import DEMO
    from deskpet.settings import Settings, SettingsFileError

    try:
        configured = Settings().get("model") or ""
    except SettingsFileError as exc:
        result.add(
            "model", FAIL, Said("settings cannot be read ({why}); fix or remove the file", why=exc)
        )
        configured = ""
    pet = result.pet or {}
    in_use = pet.get("model")
    if in_use:
        device = pet.get("device") or Said("device unknown")
        state = Said("loaded") if pet.get("model_loaded") else Said("loading or not loaded")
        result.add(
            "model",
            OK if pet.get("model_loaded") else NOTE,
            Said("{model} ({state}; {device})", model=in_use, state=state, device=device),
        )
        return  # the pet says what it thinks with; the setting may still be loading
    if not configured:
        result.add("model", NOTE, Said("none chosen yet: the pet offers one when it starts"))
        return
    if configured == DEMO:
        from deskpet.inference.demo import demo_model_path

        found = demo_model_path().exists()
        text = (
            Said("the demo model")
            if found
            else Said("the demo model (downloaded when the pet first needs it)")
        )
        result.add("model", OK if found else NOTE, text)
        return
    local = configured.startswith(("/", "~", "."))  # else a hub name, fetched into the cache
    if local and not Path(configured).expanduser().exists():
        result.add(
            "model",
            FAIL,
            Said("{model} does not exist: choose a model in Settings", model=configured),
        )
        return
    result.add("model", OK, Said("configured: {model}", model=configured))


def _check_log(result: Diagnosis) -> None:
    from deskpet import logs

    path = logs.current_log() or logs.log_path()
    if path.exists():
        result.add("log", OK, f"{path}")
    else:
        result.add("log", NOTE, Said("{path} (not written yet)", path=path))
