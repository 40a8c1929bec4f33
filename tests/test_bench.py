"""The bench on a tiny random model: both engines run, on the same weights, with real numbers."""

from __future__ import annotations

import json
import math

import mlx.core as mx
import mlx.nn as nn
import pytest

from deskpet.inference import bench_engine, bench_workload
from deskpet.inference.bench_adapters import adapter_numbers, format_adapters
from deskpet.inference.reference import reference_model

# GQA 8:1, head_dim (16) != hidden / heads (8), untied lm_head; every dim a multiple of 64.
TINY = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "intermediate_size": 128,
    "num_attention_heads": 8,
    "num_key_value_heads": 1,
    "head_dim": 16,
    "vocab_size": 256,
    "rope_theta": 5_000_000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
}
PLAN = bench_workload.Plan(
    decode_tokens=8,
    long_prompt=64,
    history=48,
    prefill_chunk=16,
    rounds=2,
    chat_prompt=16,
    follow_up=8,
)


@pytest.fixture(scope="module")
def tiny_model():
    return bench_workload.random_model(TINY, bits=4, group_size=64, seed=3)


@pytest.fixture(scope="module")
def result(tiny_model):
    workload = bench_workload.token_workload(TINY["vocab_size"], PLAN, seed=1)
    return bench_engine.measure(tiny_model, workload, PLAN, label="tiny")


def test_random_model_is_4bit_g64(tiny_model):
    quantized = [
        m for m in tiny_model.modules() if isinstance(m, nn.QuantizedLinear | nn.QuantizedEmbedding)
    ]
    # 7 linears per block, the embedding and the untied lm_head.
    assert len(quantized) == 2 * 7 + 2
    assert {(m.bits, m.group_size) for m in quantized} == {(4, 64)}


def test_reference_model_computes_the_same_logits(tiny_model):
    ref = reference_model(tiny_model)
    tokens = mx.array([[5, 17, 99, 3, 250, 42]])
    ours = tiny_model(tokens, last_only=False)
    theirs = ref(tokens)
    assert mx.allclose(ours, theirs, atol=1e-4).item()


def test_both_engines_generate_the_same_greedy_tokens(result):
    assert result.same_tokens
    assert result.deskpet.tokens == result.mlx_lm.tokens
    assert len(result.deskpet.tokens) == PLAN.decode_tokens


def test_every_number_is_measured(result):
    for numbers in (result.deskpet, result.mlx_lm):
        assert numbers.prefill_tps > 0
        assert numbers.decode_tps > 0
        assert 0 < numbers.ttft_cold_s < math.inf
        assert 0 < numbers.ttft_follow_up_s < math.inf
        assert numbers.peak_memory_bytes > 0
    assert result.decode_step_s > 0 and result.prefill_chunk_s > 0
    assert result.cancel_idle_s >= 0
    latencies = (result.cancel_decode_s, result.cancel_prefill_s)
    # A timer may miss its phase on a busy CPU (NaN), but not both, and none is negative.
    assert any(math.isfinite(latency) for latency in latencies)
    assert all(latency >= 0 for latency in latencies if math.isfinite(latency))
    assert all(r > 0 for r in result.ratios().values())
    assert result.sizes["rerendered"] == PLAN.history + PLAN.follow_up


def test_report_prints_targets_and_json(result):
    table = bench_engine.format_table(result)
    assert "decode" in table and "TTFT follow-up" in table and "cancel during prefill" in table
    data = json.loads(bench_engine.to_json_text(result))
    assert data["checks"] and data["ratios"]
    for check in data["checks"]:
        assert isinstance(check["passed"], bool), check["name"]
        assert ("PASS" if check["passed"] else "MISS") in table


def test_bench_ui_reports_frame_timing_idle_and_while_generating(demo_gguf):
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "deskpet.cli",
            "bench",
            "--ui",
            "--seconds",
            "1.5",
            "--idle-seconds",
            "1.5",
            "--json",
            "--model",
            str(demo_gguf),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for phase in ("idle", "generating"):
        assert result[phase]["frames"] > 3
        assert math.isfinite(result[phase]["fps60_p50_ms"])  # its size is the bench's job
    assert result["ratio_p99"] > 0
    cpu = result["idle_cpu"]
    for phase in ("idle_eyes", "asleep"):
        assert 0 <= cpu[phase]["cpu_percent"] < 100 and cpu[phase]["seconds"] >= 1.4
    assert cpu["idle_eyes"]["looks"] > 0 and cpu["asleep"]["looks"] == 0
    # The pet's share is idle minus the in-process pointer mover, measured in the same run.
    assert 0 <= cpu["pointer_alone"]["cpu_percent"] < 100
    assert cpu["idle_eyes_pet_percent"] == max(
        0.0, cpu["idle_eyes"]["cpu_percent"] - cpu["pointer_alone"]["cpu_percent"]
    )
    assert isinstance(cpu["pass_idle_cpu"], bool)


def test_adapter_numbers_on_a_tiny_model():
    from deskpet.inference.lora import LoRALinear

    model = bench_workload.random_model(TINY, bits=4, group_size=64, seed=5)
    before = model(mx.array([[1, 2, 3]]))
    result = adapter_numbers(model, [1, 2, 3, 4], decode_tokens=4, load_seconds=1.0, rounds=1)
    assert 0 < result["switch_ms_p50"] <= result["switch_ms_max"]
    assert result["decode_tps_none"] > 0 and result["decode_tps_adapter"] > 0
    layers = len(model.layers)
    # r=8 and r=16 on seven projections: rank * (in + out) float32 numbers per projection.
    assert result["memory_bytes"]["r16"] == 2 * result["memory_bytes"]["r8"]
    assert result["memory_bytes"]["r8"] > 8 * 4 * 7 * layers
    # The bank is detached afterwards: the model is exactly as it was.
    assert not any(isinstance(m, LoRALinear) for m in model.modules())
    assert mx.array_equal(model(mx.array([[1, 2, 3]])), before)
    table = format_adapters(result, "tiny", 1.0, "building the random model")
    # A verdict for each of the three targets, and a memory line per adapter.
    assert sum(" PASS" in line or " MISS" in line for line in table.splitlines()) == 3
    assert "memory, adapter r8" in table and "memory, adapter r16" in table


def test_default_sizes_are_the_short_run():
    for synthetic in (False, True):
        short = bench_workload.plan_for(synthetic)
        full = bench_workload.plan_for(synthetic, full=True)
        for size in ("decode_tokens", "long_prompt", "history", "rounds"):
            assert getattr(short, size) < getattr(full, size), size
        # Cancel-during-prefill lands after the first chunk of the long prompt.
        assert short.long_prompt >= 3 * short.prefill_chunk


def test_adapter_numbers_measure_real_adapter_files(tmp_path):
    # As `deskpet bench --adapters --demo` does with the shipped personas' files.
    from helpers.lora_files import random_peft

    model = bench_workload.random_model(TINY, bits=4, group_size=64, seed=6)
    files = {
        "neko": random_peft(tmp_path / "neko", model.args, r=4, alpha=8, seed=1),
        "bolt": random_peft(tmp_path / "bolt", model.args, r=8, alpha=16, seed=2),
    }
    result = adapter_numbers(
        model, [1, 2, 3], decode_tokens=3, load_seconds=1.0, rounds=1, files=files
    )
    assert list(result["memory_bytes"]) == ["neko", "bolt"]
    assert result["memory_bytes"]["bolt"] == 2 * result["memory_bytes"]["neko"]
    assert result["decode_adapter"] == "neko" and result["switches"] == 60
    table = format_adapters(result, "tiny", 1.0, "building the random model")
    assert "neko: r=4/alpha=8" in table and "decode, neko adapter" in table
    assert "memory, adapter bolt" in table
