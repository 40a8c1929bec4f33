"""The worker with persona adapters on the demo model: load, switch between generations,
prefix caches per adapter, and narration on the base model."""

from __future__ import annotations

import mlx.core as mx
import pytest
from helpers.lora_files import random_peft

from deskpet.inference.chat import ChatTemplate, Conversation
from deskpet.inference.generate import Sampling, generate, prefill
from deskpet.inference.model import make_cache
from deskpet.inference.protocol import (
    ADAPTER,
    AdapterLoaded,
    AdapterSwitched,
    Done,
    Failed,
    Finished,
    LoadAdapter,
    ModelReady,
    Narrate,
    SwitchAdapter,
)
from deskpet.inference.worker import InferenceWorker

GREEDY = Sampling.greedy()
SYSTEM = "You are a helpful AI assistant named deskpet."
QUESTION = "What is the capital of France?"


def base_answer(lm, system: str, text: str, max_tokens: int) -> str:
    """The base model's greedy answer computed here, exactly as the worker computes it."""
    template = ChatTemplate(lm.tokenizer)
    conv = Conversation.start(template, system)
    cache = make_cache(lm.model)
    prefill(lm.model, cache, conv.tokens)
    turn = template.user_turn_tokens(system, text, think=False)
    out = [
        ev.text
        for ev in generate(
            lm.model,
            lm.tokenizer,
            cache,
            turn,
            sampling=GREEDY,
            max_tokens=max_tokens,
            stop_ids=lm.eos_token_ids,
            history=conv.tokens,
        )
    ]
    mx.eval([c.state for c in cache])
    return "".join(out)


@pytest.fixture(scope="module")
def adapter_dir(demo_lm, tmp_path_factory):
    # Strong enough to change greedy answers.
    return random_peft(
        tmp_path_factory.mktemp("adapters") / "loud",
        demo_lm.args,
        r=8,
        alpha=16,
        seed=7,
        b_scale=0.3,
    )


def outcome(worker, request, timeout=300.0):
    """The event saying how a request submitted with stream=True ended (the one before Done)."""
    *events, done = worker.events_for(request, timeout=timeout)
    assert isinstance(done, Done) and events, events
    return events[-1]


def submit(worker, request):
    return outcome(worker, worker.submit(request, stream=True))


def chat(worker, conv, text=QUESTION, system=SYSTEM, max_tokens=6):
    request = worker.chat(
        conv, text, system_prompt=system, sampling=GREEDY, max_tokens=max_tokens, stream=True
    )
    done = outcome(worker, request)
    assert isinstance(done, Finished), done
    return done.text


@pytest.mark.slow
def test_adapters_switch_between_generations_and_narration_uses_none(
    demo_gguf, demo_lm, adapter_dir
):
    worker = InferenceWorker().start()
    try:
        load = worker.load(demo_gguf, stream=True)
        assert any(isinstance(e, ModelReady) for e in worker.events_for(load, timeout=300.0))
        # GIVEN a resident adapter (loading it again reads nothing)
        loaded = submit(worker, LoadAdapter("loud", adapter_dir))
        assert isinstance(loaded, AdapterLoaded) and loaded.nbytes > 0 and loaded.scale == 2.0
        again = submit(worker, LoadAdapter("loud", adapter_dir))
        assert isinstance(again, AdapterLoaded) and again.cached
        # WHEN the adapter is active, a new conversation's prefix is computed under it
        switched = submit(worker, SwitchAdapter("loud"))
        assert isinstance(switched, AdapterSwitched)
        assert switched.name == "loud" and switched.ms >= 0
        loud = chat(worker, "loud-1")
        # THEN the base model, with the same system prompt, does not reuse that prefix
        assert isinstance(submit(worker, SwitchAdapter(None)), AdapterSwitched)
        plain = chat(worker, "plain-1")
        assert plain == base_answer(demo_lm, SYSTEM, QUESTION, 6)
        assert "Paris" in plain and loud != plain
        # Narration with an adapter active runs on the base model and switches back.
        assert isinstance(submit(worker, SwitchAdapter("loud")), AdapterSwitched)
        prompt = "Claude edited app.py and ran the tests."
        told = submit(worker, Narrate(prompt, max_tokens=5, sampling=GREEDY))
        assert isinstance(told, Finished)
        assert told.text == base_answer(demo_lm, Narrate.system_prompt, prompt, 5).strip()
        assert chat(worker, "loud-2") == loud
        # A conversation started under the base model continues under the adapter (re-read).
        assert chat(worker, "plain-1", "And of Italy?", max_tokens=2)
        # Unknown names and bad folders fail cleanly; a failed switch falls back to the base
        # model, never to the previous persona's voice.
        failed = submit(worker, SwitchAdapter("ghost"))
        assert isinstance(failed, Failed) and "'ghost' is not loaded" in failed.message
        assert failed.kind == ADAPTER
        assert chat(worker, "after-ghost") == plain
        failed = submit(worker, LoadAdapter("bad", adapter_dir.parent / "missing"))
        assert isinstance(failed, Failed) and "does not exist" in failed.message
        assert failed.kind == ADAPTER
        info = submit(worker, SwitchAdapter("loud"))
        assert isinstance(info, AdapterSwitched) and info.name == "loud"
    finally:
        assert worker.shutdown()
