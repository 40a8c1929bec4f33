"""PersonaManager: the personas on disk, the current one, and what a switch asks of the worker.

No Qt and no MLX: `switch` returns a plain SwitchPlan; `plan.requests()` builds the worker
requests (importing the worker only then), which the caller submits in order. The worker
keeps one conversation per persona (the persona id) and caches each persona's system-prompt
prefix under its adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from deskpet import i18n

from .adapters import HubSource, Voice
from .persona import DEFAULT_ID, Persona, load_all, owner_dir, shipped_dir

# Settings may still say "default" (settings.py's first default): it means the deskpet persona.
ALIASES = {"default": DEFAULT_ID}


class UnknownPersonaError(KeyError):
    def __str__(self) -> str:
        return f"no persona {self.args[0]!r}"


@dataclass(frozen=True)
class SwitchPlan:
    """What changes when the owner picks a persona.

    conversation: the worker conversation id to chat in (one per persona).
    adapter_name / adapter_path: the adapter to load (idempotent) and activate, or None for
    the base model. adapter_sha256: what its weights must hash to, when the persona says.
    voice: which of the persona's adapters is for the loaded base model (or prompt only).
    fetch: that adapter's hub source when it is not downloaded yet: the persona speaks with
    its prompt until the UI has fetched it (then `with_local` gives the plan that loads it).
    """

    persona: Persona
    previous: str | None
    conversation: str
    adapter_name: str | None
    adapter_path: str | None
    adapter_sha256: str | None = None
    voice: Voice = Voice(None)
    fetch: HubSource | None = None

    def with_local(self, path: str) -> SwitchPlan:
        """This plan once the hub adapter is downloaded to `path`."""
        return replace(self, adapter_name=self.persona.id, adapter_path=path, fetch=None)

    @property
    def theme(self) -> str:
        return self.persona.theme

    def greeting(self, language: str = "en") -> str:
        return self.persona.greeting.get(language)

    def requests(self) -> list:
        """The worker requests, in order: LoadAdapter (skipped by the worker when already
        resident) then SwitchAdapter. Submit them before the next Chat."""
        from deskpet.inference.protocol import LoadAdapter, SwitchAdapter

        out = []
        if self.adapter_name is not None:
            out.append(
                LoadAdapter(self.adapter_name, self.adapter_path, sha256=self.adapter_sha256)
            )
        out.append(SwitchAdapter(self.adapter_name))
        return out


class PersonaManager:
    """The personas (shipped, overridden by the owner's), and which one is current."""

    def __init__(
        self, shipped: Path | None = None, owner: Path | None = None, current: str | None = None
    ):
        self.shipped_root = shipped if shipped is not None else shipped_dir()
        self.owner_root = owner if owner is not None else owner_dir()
        self.personas: dict[str, Persona] = {}
        self.problems: list[str] = []
        self._current: str | None = None
        self.reload()
        self._current = self._pick(current)

    def reload(self) -> None:
        self.personas, self.problems = load_all((self.shipped_root, True), (self.owner_root, False))
        if self._current not in self.personas:
            self._current = self._pick(None) if self.personas else None

    def _pick(self, wanted: str | None) -> str | None:
        wanted = ALIASES.get(wanted, wanted)
        for choice in (wanted, DEFAULT_ID):
            if choice in self.personas:
                return choice
        return next(iter(sorted(self.personas)), None)

    def list(self) -> list[Persona]:
        """The default persona first, then by id."""
        return sorted(self.personas.values(), key=lambda p: (p.id != DEFAULT_ID, p.id))

    def choices(self) -> list[tuple[str, str]]:
        """(id, English name) for each persona on disk now: menus call this as they open, so a
        persona folder added while deskpet runs is listed without a restart."""
        self.reload()
        return [(p.id, p.name.get(i18n.language())) for p in self.list()]

    def get(self, persona_id: str) -> Persona:
        persona_id = ALIASES.get(persona_id, persona_id)
        if persona_id not in self.personas:
            raise UnknownPersonaError(persona_id)
        return self.personas[persona_id]

    @property
    def current(self) -> Persona | None:
        return self.personas.get(self._current) if self._current else None

    def switch(self, persona_id: str, base: str | None = None) -> SwitchPlan:
        persona = self.get(persona_id)
        previous = self._current
        self._current = persona.id
        return self.plan(persona, previous, base)

    def plan(
        self, persona: Persona | None = None, previous: str | None = None, base: str | None = None
    ) -> SwitchPlan:
        """The plan for a persona (the current one by default) with the loaded base model
        (`base`: its id from inference.bases.identify, None for a model no known base is),
        e.g. again after a model load (a new model starts with no adapters resident)."""
        persona = persona or self.current
        if persona is None:
            raise UnknownPersonaError("(none: no persona could be loaded)")
        voice = persona.voice(base)
        entry = voice.entry
        path, fetch = (entry.path, None) if entry is not None else (None, None)
        if entry is not None and entry.hub is not None:
            from deskpet.inference.adapter_fetch import local_copy

            local = local_copy(entry.hub)
            path, fetch = (str(local), None) if local is not None else (None, entry.hub)
        return SwitchPlan(
            persona=persona,
            previous=previous,
            conversation=persona.id,
            adapter_name=persona.id if path else None,
            adapter_path=path,
            adapter_sha256=entry.sha256 if entry is not None and path else None,
            voice=voice,
            fetch=fetch,
        )
