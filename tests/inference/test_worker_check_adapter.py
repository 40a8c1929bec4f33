"""CheckAdapter: the worker says whether an adapter fits the model it has loaded, without
making it resident (the persona page's voices and the GUI import's check ask it)."""

from __future__ import annotations

from helpers.lora_files import peft_tensors, random_peft, write_gguf_lora
from helpers.tiny import TINY_MINICPM

from deskpet.inference.model import ModelArgs
from deskpet.inference.protocol import NO_MODEL, AdapterChecked, CheckAdapter, Done, Failed
from deskpet.inference.worker import InferenceWorker

TINY = ModelArgs.from_dict(TINY_MINICPM)


def ask(worker, path):
    *events, done = worker.events_for(worker.submit(CheckAdapter(str(path)), stream=True), 60)
    assert isinstance(done, Done) and len(events) == 1, events
    return events[0]


def test_the_worker_checks_adapters_against_the_loaded_model(tiny_model_dir, tmp_path):
    fits = random_peft(tmp_path / "fits", TINY, r=4)
    gguf = write_gguf_lora(tmp_path / "fits.gguf", peft_tensors(TINY, 2, seed=3), 4.0, TINY)
    other = dict(TINY_MINICPM, hidden_size=64, head_dim=16, intermediate_size=192)
    wrong = random_peft(tmp_path / "wrong", ModelArgs.from_dict(other), r=4)
    worker = InferenceWorker().start()
    try:
        # GIVEN no model yet: nothing to check against
        early = ask(worker, fits)
        assert isinstance(early, Failed) and early.kind == NO_MODEL
        load = worker.load(tiny_model_dir, stream=True)
        assert not any(isinstance(e, Failed) for e in worker.events_for(load, timeout=120))
        # WHEN adapters are checked THEN fitting ones say so, with their rank
        verdict = ask(worker, fits)
        assert isinstance(verdict, AdapterChecked)
        assert (verdict.reason, verdict.rank, verdict.path) == ("", 4, str(fits))
        assert verdict.nbytes > 0
        verdict = ask(worker, gguf)
        assert isinstance(verdict, AdapterChecked) and (verdict.reason, verdict.rank) == ("", 2)
        # AND one made for another shape says why not, in one line
        verdict = ask(worker, wrong)
        assert isinstance(verdict, AdapterChecked) and verdict.reason
        assert "\n" not in verdict.reason
        missing = ask(worker, tmp_path / "missing")
        assert isinstance(missing, AdapterChecked) and "does not exist" in missing.reason
        # AND nothing became resident or active
        info = worker.model_info()
        assert info["adapters"] == {} and info["active_adapter"] is None
    finally:
        assert worker.shutdown()
