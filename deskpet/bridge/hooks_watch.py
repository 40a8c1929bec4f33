"""HooksWatch: notices when another program rewrites an agent's config without deskpet's hooks.

Tools that switch Claude Code profiles (and other settings managers) rewrite settings.json
whole, and deskpet's entries go with it. Each `poll` stats every agent file deskpet writes
(a handful of `stat` calls: cheap enough for the app's one-second tick) and reads only a file
whose stamp changed. A file that held deskpet's entries and now holds none of them is "lost",
reported once per such change, unless the owner's last word through deskpet for that file was
an uninstall (intents.load). Taking deskpet out of one event is not a loss: some of its
entries are still there. Nothing is re-added here: the owner decides (Reconnect).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from deskpet.bridge import agents, installers, intents
from deskpet.safefile import ParseRefused

log = logging.getLogger(__name__)

MAX_WATCHED_BYTES = 4 * 1024 * 1024
Stamp = tuple[int, int, int] | None  # (inode, size, mtime in ns); None: no file


def _stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class HooksWatch:
    """Watches every agent's config files for deskpet's hooks disappearing.

    Attributes:
        reads: how many files were parsed (only changed ones are): for tests of the bound.
    """

    def __init__(self, recorded: Callable[[], dict[str, bool]] = intents.load) -> None:
        self._recorded = recorded
        self._seen: dict[Path, tuple[Stamp, bool]] = {}
        self.reads = 0

    def _holds(self, target: installers.Target) -> bool | None:
        """Whether the file holds deskpet's entries; None when it cannot be read."""
        self.reads += 1
        try:
            # Read on the GUI thread's tick: a settings file this big is not one deskpet wrote.
            if os.stat(target.path).st_size > MAX_WATCHED_BYTES:
                log.info("%s: %s is too big to watch", target.agent, target.path)
                return None
            _raw, data = target.load()
            return target.state(data) in (installers.INSTALLED, installers.OUTDATED)
        except (ParseRefused, OSError) as exc:
            log.info(
                "%s: cannot read %s to watch deskpet's hooks: %s", target.agent, target.path, exc
            )
            return None

    def poll(self) -> list[str]:
        """The agents that lost deskpet's hooks since the last poll (the first poll only
        learns what is there). Never raises."""
        lost: list[str] = []
        for agent_id in agents.ids():
            try:
                targets = installers.targets(agent_id)
            except Exception as exc:  # an agent's path cannot be worked out (no HOME)
                log.warning("%s: cannot watch its files: %s", agent_id, exc)
                continue
            for target in targets:
                if self._check(target) and agent_id not in lost:
                    lost.append(agent_id)
        return lost

    def _check(self, target: installers.Target) -> bool:
        stamp = _stamp(target.path)
        before = self._seen.get(target.path)
        if before is not None and before[0] == stamp:
            return False
        holds = False if stamp is None else self._holds(target)
        if holds is None:  # unreadable for now: what it held is still the last thing known
            holds = before[1] if before is not None else False
        self._seen[target.path] = (stamp, holds)
        if before is None or not before[1] or holds:
            return False
        if self._recorded().get(str(target.path)) is False:
            return False  # the owner uninstalled through deskpet
        log.info(
            "%s: deskpet's hooks were removed from %s by another program", target.agent, target.path
        )
        return True
