"""What `deskpet bench` runs on: its sizes, the prompts both engines are given, and models with
random weights in a real architecture (no download needed).

A chat model gets a real conversation rendered by its own chat template; a model without a
tokenizer (random weights) gets random token ids of the same sizes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import mlx.core as mx
import mlx.nn as nn

from .chat import ChatTemplate, Conversation
from .model import Model, ModelArgs

SYSTEM_PROMPT = "You are deskpet, a small, friendly desktop companion. Answer briefly."
STORY_REQUEST = "Tell me a long story about a cat who lives on a programmer's desk."
FOLLOW_UP = "And what did the cat do after that?"
# A made-up conversation, cycled until the history is long enough.
EXCHANGES = [
    (
        "What are you doing today?",
        "I am sitting next to your keyboard and watching the build logs scroll by. Every time a "
        "test turns green I wag my tail a little, and when one turns red I hide behind the mug.",
    ),
    (
        "Can you keep an eye on the agent while I get coffee?",
        "Of course. I will watch the terminal, count the files it touches and tell you if it asks "
        "for permission. If it starts deleting things I will jump on the escape key for you.",
    ),
    (
        "Why did the last run take so long?",
        "The agent re-ran the whole test suite three times because a flaky network test kept "
        "failing. Pinning the mock server port would probably save you a few minutes each run.",
    ),
]
LONG_TEXT = (
    "The desk was crowded with notebooks, cables, a cold cup of tea and a small plant that "
    "nobody remembered to water. Between the monitor stand and the keyboard there was just "
    "enough room for a pet to curl up and watch the cursor blink, line after line, while the "
    "fans hummed and the build went on. "
)


@dataclass
class Plan:
    """How much work each measurement does (token counts, repeats)."""

    decode_tokens: int  # generated in the cold turn: decode speed
    long_prompt: int  # prefill speed and cancel-during-prefill
    history: int  # conversation before the follow-up turn
    prefill_chunk: int
    rounds: int
    chat_prompt: int = 0  # token-id runs only (chat models use a real first turn)
    follow_up: int = 0  # token-id runs only

    def describe(self) -> str:
        first = f"a {self.chat_prompt}-token first turn" if self.chat_prompt else "a chat turn"
        return (
            f"{first} + {self.decode_tokens} decoded tokens, a {self.long_prompt}-token prefill, "
            f"a {self.history}-token history, prefill chunks of {self.prefill_chunk}, "
            f"{self.rounds} round(s)"
        )


# MLX's CPU backend (Linux, no GPU) prefills a 4-bit model barely faster than it decodes
# (5-8 tok/s for the 135M demo model on 2 cores, about 1 for a 1B model), so the default sizes
# finish in about five minutes there. --full is the long run; a chat model's full sizes suit an
# Apple Silicon Mac.
CHAT_PLANS = {
    "default": Plan(decode_tokens=16, long_prompt=96, history=192, prefill_chunk=32, rounds=2),
    "full": Plan(decode_tokens=128, long_prompt=1536, history=600, prefill_chunk=512, rounds=3),
}
TOKEN_PLANS = {
    "default": Plan(
        decode_tokens=6,
        long_prompt=36,
        history=48,
        prefill_chunk=12,
        rounds=1,
        chat_prompt=16,
        follow_up=8,
    ),
    "full": Plan(
        decode_tokens=12,
        long_prompt=96,
        history=128,
        prefill_chunk=32,
        rounds=2,
        chat_prompt=48,
        follow_up=16,
    ),
}


def plan_for(synthetic: bool, full: bool = False) -> Plan:
    """The sizes for a chat model or, with `synthetic`, for random weights on token ids."""
    return (TOKEN_PLANS if synthetic else CHAT_PLANS)["full" if full else "default"]


@dataclass
class Workload:
    """The token ids both engines are given."""

    chat_prompt: list[int]  # a cold first turn: system prompt + user message
    long_prompt: list[int]
    history: list[int]  # the conversation so far, as deskpet's transcript holds it
    follow_up: list[int]  # the new turn deskpet prefills on top of its cached history
    rerendered: list[int]  # history + new turn as mlx-lm gets them, rendered from scratch
    stop_ids: list[int]


def chat_workload(tokenizer, plan: Plan, stop_ids: list[int]) -> Workload:
    template = ChatTemplate(tokenizer)
    sp = SYSTEM_PROMPT
    chat = template.system_tokens(sp) + template.user_turn_tokens(sp, STORY_REQUEST, think=False)
    text = LONG_TEXT
    while len(template.encode(text)) < plan.long_prompt:
        text += LONG_TEXT
    long_prompt = template.encode(text)[: plan.long_prompt]

    # deskpet's append-only transcript and the messages an app would re-render.
    conv = Conversation.start(template, sp)
    messages = [{"role": "system", "content": sp}]
    i = 0
    while len(conv.tokens) < plan.history:
        question, answer = EXCHANGES[i % len(EXCHANGES)]
        conv.begin_turn(template.user_turn_tokens(sp, question, think=False))
        conv.tokens.extend(template.encode(answer))
        conv.end_turn(template.closing_tokens(None))
        messages += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
        i += 1
    follow_up = template.user_turn_tokens(sp, FOLLOW_UP, think=False)
    messages.append({"role": "user", "content": FOLLOW_UP})
    rerendered = template.encode(template.render(messages, generation_prompt=True, think=False))
    return Workload(chat, long_prompt, list(conv.tokens), follow_up, rerendered, list(stop_ids))


def token_workload(vocab_size: int, plan: Plan, seed: int = 0) -> Workload:
    """Random token ids (no tokenizer): mlx-lm's "re-rendered" prompt is the same ids."""
    rng = random.Random(seed)

    def ids(n: int) -> list[int]:
        return [rng.randrange(vocab_size) for _ in range(n)]

    history, follow_up = ids(plan.history), ids(plan.follow_up)
    # No stop ids: random weights would stop at random, and both engines should run to length.
    return Workload(
        ids(plan.chat_prompt), ids(plan.long_prompt), history, follow_up, history + follow_up, []
    )


def random_model(
    config: dict,
    *,
    bits: int = 4,
    group_size: int = 64,
    seed: int = 0,
    progress: Callable[[str], None] = lambda _msg: None,
) -> Model:
    """A model of the config's architecture with random quantized weights, built in memory.

    Model() only describes its random init lazily, so quantizing it and evaluating one block at
    a time keeps no more than one block in float32 (a full 1B float32 model would be 4+ GB)."""
    mx.random.seed(seed)
    model = Model(ModelArgs.from_dict(config))
    nn.quantize(model, group_size=group_size, bits=bits)
    parts = [model.model.embed_tokens, *model.layers, model.model.norm]
    if not model.args.tie_word_embeddings:
        parts.append(model.lm_head)
    for i, part in enumerate(parts):
        mx.eval(part.parameters())
        if i % 8 == 0:
            progress(f"building random {bits}-bit g{group_size} weights: {i + 1}/{len(parts)}")
    return model


class _SilentDetokenizer:
    """generate() streams text through a detokenizer; token-id runs have no text."""

    last_segment = ""

    def reset(self) -> None: ...

    def add_token(self, token: int) -> None: ...

    def finalize(self) -> None: ...


class TokenIdsOnly:
    """Stands in for a tokenizer when a model has none (random weights)."""

    detokenizer = _SilentDetokenizer()
