"""Personas: persona files, the manager that switches them, training their adapters. No Qt."""

from .manager import PersonaManager, SwitchPlan, UnknownPersonaError
from .persona import Persona, PersonaError, load_persona

__all__ = [
    "Persona",
    "PersonaError",
    "PersonaManager",
    "SwitchPlan",
    "UnknownPersonaError",
    "load_persona",
]
