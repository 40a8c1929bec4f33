"""Conversations as append-only transcripts, the template cut into turns, thinking by token id."""

from __future__ import annotations

import mlx.core as mx
import pytest
from helpers.tiny import TINY_MINICPM, tiny_model
from mlx_lm.tokenizer_utils import load as load_tokenizer

from deskpet.inference.chat import ChatTemplate, ContextFullError, Conversation
from deskpet.inference.generate import REASONING, Sampling, generate
from deskpet.inference.model import make_cache

SYSTEM = "You are a helpful AI assistant named deskpet."

# A ChatML template with MiniCPM5's thinking behaviour (written for these tests): no-think adds an
# empty think block to the generation prompt, think mode leaves <think> open.
THINK_TEMPLATE = (
    "{% for m in messages %}"
    "<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking %}<think>\n{% else %}<think>\n\n</think>\n\n{% endif %}"
    "{% endif %}"
)


@pytest.fixture(scope="module")
def template(demo_lm):
    return ChatTemplate(demo_lm.tokenizer)


@pytest.fixture(scope="module")
def think_tokenizer(demo_lm, tmp_path_factory):
    folder = tmp_path_factory.mktemp("think-tok")
    hf = demo_lm.tokenizer._tokenizer
    hf.save_pretrained(folder)
    tok = load_tokenizer(folder)
    tok._tokenizer.add_tokens(["<think>", "</think>"])
    tok._tokenizer.chat_template = THINK_TEMPLATE
    tok._tokenizer.save_pretrained(folder)
    return load_tokenizer(folder)


def test_first_turn_is_exactly_the_templates_rendering(template, demo_lm):
    conv = Conversation.start(template, SYSTEM)
    conv.begin_turn(
        template.user_turn_tokens(SYSTEM, "What is the capital of France?", think=False)
    )
    rendered = demo_lm.tokenizer.apply_chat_template(
        [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        tokenize=False,
        add_generation_prompt=True,
        enable_thinking=False,
    )
    assert conv.tokens == demo_lm.tokenizer.encode(rendered, add_special_tokens=False)
    assert conv.system_len == len(template.system_tokens(SYSTEM))


def test_second_turn_appends_and_never_rewrites(template, demo_lm):
    conv = Conversation.start(template, SYSTEM)
    conv.begin_turn(template.user_turn_tokens(SYSTEM, "Hi!", think=False))
    answer = demo_lm.tokenizer.encode("Hello there.", add_special_tokens=False)
    eos = demo_lm.eos_token_ids[0]
    conv.tokens.extend(answer + [eos])
    conv.end_turn(template.closing_tokens(eos))
    before = list(conv.tokens)
    conv.begin_turn(template.user_turn_tokens(SYSTEM, "How are you?", think=False))
    assert conv.tokens[: len(before)] == before
    text = demo_lm.tokenizer.decode(conv.tokens, skip_special_tokens=False)
    assert text.endswith(
        "Hello there.<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n"
    )
    assert conv.turns == [(conv.system_len, len(before))]


def test_closing_after_a_cut_answer_writes_the_whole_end_of_turn(template, demo_lm):
    assert template.end_of_turn == "<|im_end|>\n"
    assert (
        demo_lm.tokenizer.decode(template.closing_tokens(None), skip_special_tokens=False)
        == "<|im_end|>\n"
    )


def test_make_room_drops_oldest_whole_turns_and_keeps_the_system_prompt(template):
    conv = Conversation.start(template, SYSTEM)
    for i in range(4):
        conv.begin_turn(template.user_turn_tokens(SYSTEM, f"message number {i}", think=False))
        conv.tokens.extend([42] * 10)
        conv.end_turn(template.closing_tokens(None))
    system = conv.system_tokens
    widths = [e - s for s, e in conv.turns]
    window = len(conv.tokens) + 5  # room for 5 more tokens
    assert conv.make_room(5, window) is False
    assert conv.make_room(5 + widths[0], window) is True
    assert len(conv.turns) == 3 and conv.tokens[: conv.system_len] == system
    assert conv.turns[0][0] == conv.system_len
    with pytest.raises(ContextFullError):
        conv.make_room(window, window)


def test_think_mode_leaves_think_open_and_no_think_closes_it(think_tokenizer):
    template = ChatTemplate(think_tokenizer)
    assert template.think_start_id is not None and template.think_end_id is not None
    think = template.user_turn_tokens(SYSTEM, "2+2?", think=True)
    plain = template.user_turn_tokens(SYSTEM, "2+2?", think=False)
    assert think[-2:] == think_tokenizer.encode("<think>\n", add_special_tokens=False)
    assert template.starts_in_reasoning(think) is True
    assert template.starts_in_reasoning(plain) is False


def test_generation_splits_reasoning_from_answer_by_token_id(think_tokenizer):
    # GIVEN a tiny model forced (by a logits processor) to write: reasoning </think> answer <eos>
    template = ChatTemplate(think_tokenizer)
    encode = lambda text: think_tokenizer.encode(text, add_special_tokens=False)  # noqa: E731
    eos = think_tokenizer.convert_tokens_to_ids("<|im_end|>")
    script = encode("Two and two.") + [template.think_end_id] + encode("\n\nIt is 4.") + [eos]
    vocab = len(think_tokenizer._tokenizer)
    model = tiny_model({**TINY_MINICPM, "vocab_size": vocab})
    prompt = template.system_tokens(SYSTEM) + template.user_turn_tokens(SYSTEM, "2+2?", think=True)

    def follow_script(tokens, logits):
        step = tokens.size - len(prompt)
        forced = mx.full(logits.shape, -1e9)
        forced[..., script[min(step, len(script) - 1)]] = 0.0  # decode runs one step ahead
        return forced

    # WHEN it generates in think mode
    events = list(
        generate(
            model,
            think_tokenizer,
            make_cache(model),
            prompt,
            sampling=Sampling.greedy(),
            max_tokens=50,
            stop_ids=[eos],
            think_ids=(template.think_start_id, template.think_end_id),
            start_in_reasoning=True,
            logits_processors=[follow_script],
        )
    )
    # THEN reasoning and answer arrive on their own channels, markers never shown as text
    reasoning = "".join(e.text for e in events if e.channel == REASONING)
    answer = "".join(e.text for e in events if e.channel != REASONING)
    assert reasoning == "Two and two."
    assert answer.strip() == "It is 4."
    assert "think>" not in reasoning + answer
    assert events[-1].finish_reason == "stop" and events[-1].token == eos
    assert [e.token for e in events if e.token is not None] == script
