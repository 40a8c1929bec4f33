"""What happened, independent of which agent said it: the kinds of an AgentEvent.

A module of its own so the agent declarations (bridge/agents/) and the normalizer
(bridge/events.py) can both name them without importing each other.
"""

from __future__ import annotations

SESSION_START = "session_start"
PROMPT = "prompt"  # the owner sent a prompt; the agent starts thinking
TOOL_START = "tool_start"
TOOL_END = "tool_end"
TOOL_FAILED = "tool_failed"
PERMISSION_REQUEST = "permission_request"
WAITING_FOR_OWNER = "waiting_for_owner"
AGENT_MESSAGE = "agent_message"  # the agent said something (kept for the next narration)
TURN_COMPLETE = "turn_complete"
TURN_FAILED = "turn_failed"
SUBAGENT_START = "subagent_start"
SUBAGENT_STOP = "subagent_stop"
COMPACTING = "compacting"
SESSION_END = "session_end"

KINDS = (
    SESSION_START,
    PROMPT,
    TOOL_START,
    TOOL_END,
    TOOL_FAILED,
    PERMISSION_REQUEST,
    WAITING_FOR_OWNER,
    AGENT_MESSAGE,
    TURN_COMPLETE,
    TURN_FAILED,
    SUBAGENT_START,
    SUBAGENT_STOP,
    COMPACTING,
    SESSION_END,
)
