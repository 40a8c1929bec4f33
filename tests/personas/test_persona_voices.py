"""AdapterChecks keeps the worker's verdicts per model and adapter files: a real worker with
the tiny model loaded, real PEFT adapter folders; only the worker's door is wrapped, to count
the CheckAdapter requests that reach it."""

from __future__ import annotations

import os

from helpers.lora_files import persona_folder
from helpers.tiny import TINY_MINICPM

from deskpet.inference.model import ModelArgs
from deskpet.inference.protocol import CheckAdapter
from deskpet.personas.persona import load_persona
from deskpet.personas.voices import AdapterChecks

TINY = ModelArgs.from_dict(TINY_MINICPM)


class Counted:
    """The real worker, counting the adapter checks asked of it."""

    def __init__(self, worker) -> None:
        self.worker = worker
        self.checks = 0

    def submit(self, request, *, stream=False):
        self.checks += isinstance(request, CheckAdapter)
        return self.worker.submit(request, stream=stream)

    def events_for(self, request_id, timeout=None):
        return self.worker.events_for(request_id, timeout=timeout)

    def cancel(self, request_id):
        self.worker.cancel(request_id)


def owl(root):
    return load_persona(persona_folder(root, "owl", "Owl", TINY), shipped=False)


def test_a_verdict_is_kept_while_the_model_and_the_adapter_stay_the_same(tiny_worker, tmp_path):
    persona = owl(tmp_path)
    counted = Counted(tiny_worker)
    model = {"key": 1}
    checks = AdapterChecks(counted, model=lambda: model["key"])
    # GIVEN the settings page opened three times with the same model
    voices = [checks.voice(persona) for _ in range(3)]
    # THEN the worker was asked once, and each answer is the same
    assert voices[0].adapter and voices[0].text == "adapter (LoRA r=4)"
    assert voices.count(voices[0]) == 3 and counted.checks == 1
    # WHEN the owner replaces the adapter's weights THEN it is checked again
    weights = next(
        p for p in (tmp_path / "owl" / "adapter").iterdir() if p.suffix == ".safetensors"
    )
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert checks.voice(persona) == voices[0] and counted.checks == 2
    assert checks.voice(persona) == voices[0] and counted.checks == 2
    # WHEN another model loads THEN it is checked again
    model["key"] = 2
    assert checks.voice(persona) == voices[0] and counted.checks == 3
    # AND while no model is loaded nothing is kept
    model["key"] = None
    checks.voice(persona)
    checks.voice(persona)
    assert counted.checks == 5


def test_without_a_model_key_every_check_asks_the_worker(tiny_worker, tmp_path):
    persona = owl(tmp_path)
    counted = Counted(tiny_worker)
    checks = AdapterChecks(counted)
    checks.voice(persona)
    checks.voice(persona)
    assert counted.checks == 2
