"""Prefix reuse gives exactly the tokens of a cold run; cancelling leaves a usable conversation."""

from __future__ import annotations

from deskpet.inference.chat import ChatTemplate, Conversation
from deskpet.inference.generate import Sampling, generate
from deskpet.inference.model import make_cache

SYSTEM = "You are a helpful AI assistant named deskpet."


def answer(lm, template, conv, cache, text, n=16, cancel_after=None):
    """Run one turn the way the worker does; returns the answer's token ids and finish reason."""
    conv.begin_turn(template.user_turn_tokens(SYSTEM, text, think=False))
    offset = cache[0].offset
    produced, reason, last = [], None, None
    for ev in generate(
        lm.model,
        lm.tokenizer,
        cache,
        conv.tokens[offset:],
        history=conv.tokens[:offset],
        sampling=Sampling.greedy(),
        max_tokens=n,
        stop_ids=lm.eos_token_ids,
        prefill_chunk=8,
        should_cancel=lambda: cancel_after is not None and len(produced) >= cancel_after,
    ):
        if ev.finish_reason is None and ev.token is not None:
            produced.append(ev.token)
        if ev.finish_reason:
            reason, last = ev.finish_reason, ev.token
    conv.tokens.extend(produced + ([last] if last is not None else []))
    conv.end_turn(template.closing_tokens(last if reason == "stop" else None))
    return produced, reason


def cold_answer(lm, tokens, n=16):
    return [
        ev.token
        for ev in generate(
            lm.model,
            lm.tokenizer,
            make_cache(lm.model),
            tokens,
            sampling=Sampling.greedy(),
            max_tokens=n,
            stop_ids=lm.eos_token_ids,
        )
        if ev.finish_reason is None and ev.token is not None
    ]


def test_follow_up_turn_reuses_the_cache_and_matches_a_cold_run(demo_lm):
    template = ChatTemplate(demo_lm.tokenizer)
    conv = Conversation.start(template, SYSTEM)
    cache = make_cache(demo_lm.model)
    answer(demo_lm, template, conv, cache, "What is the capital of France?")
    cached = cache[0].offset
    second, _ = answer(demo_lm, template, conv, cache, "And what is it famous for?")
    # The follow-up prefilled only its own tokens: everything before was already cached.
    assert cached > conv.system_len + 10
    turn_start = conv.turns[-1][0]
    assert second == cold_answer(
        demo_lm,
        conv.tokens[:turn_start]
        + template.user_turn_tokens(SYSTEM, "And what is it famous for?", think=False),
    )


def test_cancelled_answer_leaves_the_conversation_usable(demo_lm):
    template = ChatTemplate(demo_lm.tokenizer)
    conv = Conversation.start(template, SYSTEM)
    cache = make_cache(demo_lm.model)
    partial, reason = answer(
        demo_lm, template, conv, cache, "Tell me a long story about a dragon.", n=64, cancel_after=3
    )
    assert reason == "cancelled" and len(partial) == 3
    # The cache is an exact prefix of the transcript, so the next turn continues correctly.
    assert cache[0].offset <= len(conv.tokens)
    follow, reason = answer(demo_lm, template, conv, cache, "What is the capital of France?")
    assert reason in ("stop", "length") and follow
    turn_start = conv.turns[-1][0]
    assert follow == cold_answer(
        demo_lm,
        conv.tokens[:turn_start]
        + template.user_turn_tokens(SYSTEM, "What is the capital of France?", think=False),
    )


def test_cancel_during_prefill_stops_between_chunks(demo_lm):
    cache = make_cache(demo_lm.model)
    prompt = demo_lm.tokenizer.encode("word " * 60, add_special_tokens=False)
    checks = []

    def cancel_on_third_check():
        checks.append(cache[0].offset)
        return len(checks) >= 3

    events = list(
        generate(
            demo_lm.model,
            demo_lm.tokenizer,
            cache,
            prompt,
            prefill_chunk=8,
            should_cancel=cancel_on_third_check,
        )
    )
    assert [e.finish_reason for e in events] == ["cancelled"]
    assert cache[0].offset == 16  # two chunks of 8 went in, then it stopped
