"""The coding agents deskpet knows: one module each, gathered here in a stable order.

Each module (claude.py, codex.py, cursor.py, gemini.py) declares one Agent: its names, what its
events mean, the events the installer registers, its config files and the entries written
there, how to tell it is installed, and what its hook must print. events.py, installers.py,
narrator.py and the UI read these; hook.py keeps its own copy of the little it needs (it must
start fast and import nothing from deskpet), and a test keeps the two in step.

Adding an agent is one module here plus its line in AGENTS.
"""

from __future__ import annotations

from deskpet.bridge.agents import claude, codex, cursor, gemini
from deskpet.bridge.agents.spec import (
    HOOK_TIMEOUT_SECONDS,
    Agent,
    ConfigFile,
    HooksFile,
    NotifyProgram,
)

__all__ = [
    "AGENTS",
    "HOOK_TIMEOUT_SECONDS",
    "Agent",
    "ConfigFile",
    "HooksFile",
    "NotifyProgram",
    "find",
    "get",
    "ids",
    "long_name",
]

AGENTS: tuple[Agent, ...] = (claude.AGENT, codex.AGENT, cursor.AGENT, gemini.AGENT)
_BY_ID = {agent.id: agent for agent in AGENTS}


def ids() -> tuple[str, ...]:
    """Every agent's id, in AGENTS order."""
    return tuple(_BY_ID)


def find(agent_id: object) -> Agent | None:
    """The agent with this id, or None (ids arrive from outside: anything may come)."""
    return _BY_ID.get(agent_id) if isinstance(agent_id, str) else None


def get(agent_id: str) -> Agent:
    """The agent with this id; ValueError naming the known ones otherwise."""
    agent = find(agent_id)
    if agent is None:
        raise ValueError(f"unknown agent {agent_id!r}; expected one of {', '.join(ids())}")
    return agent


def long_name(agent_id: str) -> str:
    """The product's name for the menu and Settings ("Claude Code"); the id if unknown."""
    agent = find(agent_id)
    return agent.long_name if agent else agent_id
