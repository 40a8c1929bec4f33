"""`deskpet persona train <id>`: a LoRA adapter for a persona, trained on the loaded 4-bit model.

QLoRA style: the base stays frozen and quantized; only the adapter's A and B (float32) train,
with Adam through nn.value_and_grad. Every example is rendered exactly as the worker renders a
chat (deskpet's ChatTemplate: the persona's system prompt, each user turn with the no-think
generation prompt, the answer and its end-of-turn), and the loss counts only the assistant's
tokens (and the stop token that ends them, so the persona learns to stop).

Three savings make a few steps affordable even on a CPU, without changing the result:
- `base_dtype` trains against a dense copy of the frozen base (deskpet.inference.dequant: the
  4-bit weights dequantized, the values the quantized matmul itself uses), because MLX's CPU
  backend multiplies by packed 4-bit weights no faster than by dense ones and a 16-bit copy
  halves the work again; the adapter's delta is added on top of the base's output, so it
  stays valid for the 4-bit base the app runs (QLoRA practice). "quantized" keeps the 4-bit
  weights (the GPU's choice, where quantized matmuls are fast);
- the system prompt is shared by every example, so its KV in the frozen layers below the
  adapter is computed once;
- with an adapter on the top `layers` layers only, the hidden states entering them never change
  and are computed once per example; lm_head runs only where the loss is counted.

The result is saved in PEFT format (adapter_config.json + adapter_model.safetensors) into
`<persona folder>/adapter` when that folder is writable (the owner's personas, and shipped ones
in a source checkout); otherwise (a read-only app bundle) into an owner copy of the persona in
`data_dir()/personas/<id>/`, which then overrides the shipped one. `out` chooses another folder.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .persona import ADAPTER_DIR, FILE_NAME, Persona, owner_dir


class TrainingDataError(ValueError):
    """A training file that cannot be used; the message names the file, line and problem."""


@dataclass
class Example:
    tokens: list[int]  # the whole rendered conversation after the system prompt
    loss_mask: list[bool]  # per token of `tokens`: counted when predicting it
    source: str = ""


@dataclass
class TrainResult:
    adapter_dir: Path
    steps: int
    train_loss: float  # mean over the last steps
    valid_loss_before: float
    valid_loss_after: float
    seconds: float
    parameters: int


def read_examples(file: str | Path) -> list[list[dict]]:
    """Chat-format JSONL: one {"messages": [{"role", "content"}, ...]} per line, turns
    alternating user/assistant and ending with the assistant (a leading system is ignored:
    the persona's own prompt is used, as at inference)."""
    file = Path(file)
    if not file.exists():
        raise TrainingDataError(f"{file} does not exist")
    out = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{file}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise TrainingDataError(f"{where}: not valid JSON ({e.msg})") from None
        messages = record.get("messages") if isinstance(record, dict) else None
        if not isinstance(messages, list) or not messages:
            raise TrainingDataError(f"{where}: needs a non-empty 'messages' list")
        if messages[0].get("role") == "system":
            messages = messages[1:]
        for i, message in enumerate(messages):
            want = "user" if i % 2 == 0 else "assistant"
            if not isinstance(message, dict) or message.get("role") != want:
                raise TrainingDataError(f"{where}: messages[{i}].role must be '{want}'")
            if not isinstance(message.get("content"), str) or not message["content"].strip():
                raise TrainingDataError(
                    f"{where}: messages[{i}].content must be a non-empty string"
                )
        if len(messages) % 2:
            raise TrainingDataError(f"{where}: must end with an assistant message")
        out.append(messages)
    if not out:
        raise TrainingDataError(f"{file} holds no examples")
    return out


def encode(template, system_prompt: str, messages: list[dict], stop_ids: set[int]) -> Example:
    """Tokens after the system prompt, as the worker's transcript would hold them."""
    tokens: list[int] = []
    mask: list[bool] = []
    end_of_turn = template.encode(template.end_of_turn)
    for user, answer in zip(messages[::2], messages[1::2], strict=True):
        turn = template.user_turn_tokens(system_prompt, user["content"], think=False)
        tokens += turn
        mask += [False] * len(turn)
        reply = template.encode(answer["content"])
        tokens += reply
        mask += [True] * len(reply)
        # The stop token is learned; what the worker appends after it is not.
        learned = 1 if end_of_turn and end_of_turn[0] in stop_ids else len(end_of_turn)
        tokens += end_of_turn
        mask += [True] * learned + [False] * (len(end_of_turn) - learned)
    return Example(tokens, mask)


def default_output(persona: Persona) -> Path:
    """The persona's own adapter folder if writable, else the owner's copy (documented above)."""
    if os.access(persona.folder, os.W_OK) and not getattr(sys, "frozen", False):
        return persona.folder / ADAPTER_DIR
    copy = owner_dir() / persona.id
    copy.mkdir(parents=True, exist_ok=True)
    if not (copy / FILE_NAME).exists():
        shutil.copy2(persona.file, copy / FILE_NAME)
    return copy / ADAPTER_DIR


class _Trainer:
    """Holds the model split at the first adapted layer and the cached inputs to it."""

    def __init__(self, lm, template, system_prompt: str, layers: int):
        import mlx.core as mx

        from deskpet.inference.model import make_cache

        self.mx = mx
        self.model = lm.model
        self.first = len(self.model.layers) - layers
        self.system = template.system_tokens(system_prompt)
        # The frozen part below the adapter, run once over the shared system prompt.
        self.prefix_cache = make_cache(self.model)[: self.first]
        self.prefix_h = self._lower(self.system, self.prefix_cache)

    def _lower(self, tokens: list[int], cache) -> object:
        mx = self.mx
        h = self.model.model.embed_tokens(mx.array([tokens]))
        mask = "causal" if len(tokens) > 1 else None
        for layer, c in zip(self.model.layers[: self.first], cache, strict=True):
            h = layer(h, mask, c)
        mx.eval(h, [c.state for c in cache])
        return h[0]

    def prepare(self, example: Example):
        """(inputs to the first adapted layer [T, D], loss positions, targets) for one example."""
        mx = self.mx
        cache = [c.copy() for c in self.prefix_cache]
        h = mx.concatenate([self.prefix_h, self._lower(example.tokens, cache)], axis=0)
        full = self.system + example.tokens
        n_sys = len(self.system)
        # Position t predicts token t+1: count t where token t+1 is a learned one.
        positions = [n_sys + i - 1 for i, keep in enumerate(example.loss_mask) if keep]
        targets = [full[p + 1] for p in positions]
        return h, positions, targets

    def loss(self, batch) -> object:
        """Mean cross-entropy over the learned tokens of a batch of prepared examples."""
        mx = self.mx
        import mlx.nn as nn

        width = max(h.shape[0] for h, _, _ in batch)
        dim = batch[0][0].shape[1]
        rows, index, targets = [], [], []
        for b, (h, positions, tgt) in enumerate(batch):
            pad = width - h.shape[0]
            rows.append(mx.concatenate([h, mx.zeros((pad, dim), h.dtype)]) if pad else h)
            index += [b * width + p for p in positions]
            targets += tgt
        x = mx.stack(rows)
        for layer in self.model.layers[self.first :]:
            x = layer(x, "causal", None)  # padding sits after every counted position
        x = x.reshape(-1, dim)[mx.array(index)]
        x = self.model.model.norm(x)
        if self.model.args.tie_word_embeddings:
            logits = self.model.model.embed_tokens.as_linear(x)
        else:
            logits = self.model.lm_head(x)
        return nn.losses.cross_entropy(
            logits.astype(mx.float32), mx.array(targets), reduction="mean"
        )

    def evaluate(self, prepared) -> float:
        mx = self.mx
        total = count = 0.0
        for item in prepared:
            n = len(item[1])
            total += self.loss([item]).item() * n
            count += n
            mx.clear_cache()
        return total / max(count, 1)


def train(
    lm,
    persona: Persona,
    train_data: list[list[dict]],
    valid_data: list[list[dict]],
    *,
    steps: int = 100,
    rank: int = 8,
    alpha: float = 16.0,
    layers: int | None = None,
    learning_rate: float = 1e-4,
    batch_size: int = 4,
    max_tokens: int = 512,
    seed: int = 0,
    base_dtype: str = "quantized",
    save_dtype: str = "float32",
    examples: int | None = None,
    out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train an adapter for `persona` on the loaded model `lm` and save it in PEFT format.

    layers: adapt only the top N layers (None: all, like OpenBMB's persona adapters).
    base_dtype: "quantized" or a dense dtype for the frozen base (see the module docstring).
    save_dtype: the dtype of the saved A and B ("float16" halves the file).
    examples: train on this many examples drawn by the seed (None: all), repeated over the
    steps; each example's frozen lower layers run once, so a small pool is cheap to revisit."""
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim

    from deskpet.inference.chat import ChatTemplate
    from deskpet.inference.dequant import DTYPES, DenseBase
    from deskpet.inference.lora import AdapterBank, save_peft

    started = time.perf_counter()
    say = progress or (lambda text: print(text, file=sys.stderr))
    model = lm.model
    n_layers = len(model.layers)
    layers = n_layers if layers is None else max(1, min(layers, n_layers))
    template = ChatTemplate(lm.tokenizer)
    stops = set(lm.eos_token_ids)
    system = persona.system_prompt

    def render(data, name):
        examples = []
        for messages in data:
            ex = encode(template, system, messages, stops)
            if len(ex.tokens) + len(template.system_tokens(system)) <= max_tokens and any(
                ex.loss_mask
            ):
                examples.append(ex)
        if not examples:
            raise TrainingDataError(f"no {name} example fits in {max_tokens} tokens")
        return examples

    train_ex, valid_ex = render(train_data, "training"), render(valid_data, "held-out")
    if examples is not None and 0 < examples < len(train_ex):
        train_ex = random.Random(seed).sample(train_ex, examples)
    dense = DenseBase(model, DTYPES[base_dtype]) if base_dtype != "quantized" else None
    bank = AdapterBank(model, dtype=mx.float32)
    adapter = bank.new("training", rank=rank, alpha=alpha, seed=seed)
    # Keep only the top layers' pairs, then make them the one trainable thing in the model.
    keep = {f"model.layers.{i}." for i in range(n_layers - layers, n_layers)}
    adapter.pairs = {k: v for k, v in adapter.pairs.items() if any(k.startswith(p) for p in keep)}
    bank.switch("training")
    model.freeze()
    for pair in adapter.pairs.values():
        pair.unfreeze()
    try:
        trainer = _Trainer(lm, template, system, layers)
        say(
            f"{len(train_ex)} training and {len(valid_ex)} held-out examples; "
            f"adapting the top {layers} of {n_layers} layers"
        )
        # Training inputs are prepared when first drawn: a short run reads only what it uses.
        train_prepared: dict[int, tuple] = {}

        def prepared(i: int):
            if i not in train_prepared:
                train_prepared[i] = trainer.prepare(train_ex[i])
            return train_prepared[i]

        valid_prepared = [trainer.prepare(ex) for ex in valid_ex]
        before = trainer.evaluate(valid_prepared)
        say(f"held-out loss before: {before:.4f}")

        optimizer = optim.Adam(learning_rate=learning_rate)
        loss_and_grad = nn.value_and_grad(model, lambda _m, batch: trainer.loss(batch))
        rng = random.Random(seed)
        order: list[int] = []
        recent: list[float] = []
        for step in range(1, steps + 1):
            batch = []
            for _ in range(min(batch_size, len(train_ex))):
                if not order:
                    order = list(range(len(train_ex)))
                    rng.shuffle(order)
                batch.append(prepared(order.pop()))
            loss, grads = loss_and_grad(model, batch)
            optimizer.update(model, grads)
            mx.eval(loss, model.trainable_parameters(), optimizer.state)
            recent = (recent + [loss.item()])[-10:]
            _bar(step, steps, sum(recent) / len(recent), time.perf_counter() - started)
            mx.clear_cache()
        print(file=sys.stderr)
        after = trainer.evaluate(valid_prepared)
        say(f"held-out loss after:  {after:.4f}")
    finally:
        model.unfreeze()
        bank.detach()  # the model is left exactly as loaded
        if dense is not None:
            dense.restore()
    target = Path(out) if out is not None else default_output(persona)
    save_peft(adapter, target, base_model=_base_name(lm), dtype=DTYPES[save_dtype])
    if layers < n_layers:
        config_file = target / "adapter_config.json"
        config = json.loads(config_file.read_text())
        config["layers_to_transform"] = list(range(n_layers - layers, n_layers))
        config["layers_pattern"] = "layers"
        config_file.write_text(json.dumps(config, indent=2) + "\n")
    return TrainResult(
        target,
        steps,
        sum(recent) / max(len(recent), 1),
        before,
        after,
        time.perf_counter() - started,
        adapter.parameters_count,
    )


def _base_name(lm) -> str:
    name = getattr(lm.tokenizer, "name_or_path", None)
    if lm.format == "gguf" or not name:
        return lm.source.name
    return str(name)


def _bar(step: int, total: int, loss: float, seconds: float) -> None:
    width = 24
    done = math.floor(width * step / total)
    bar = "#" * done + "-" * (width - done)
    print(
        f"\r[{bar}] step {step}/{total}  loss {loss:.4f}  {seconds:.0f}s",
        end="",
        file=sys.stderr,
        flush=True,
    )
