"""After a load that spent long requantizing GGUF tensors, the app offers `deskpet model
convert`; a file mx.load reads as stored is not worth it and gets no offer.

The real worker loads real tiny GGUFs (llama.cpp's Q4_K_M and Q8_0 of a MiniCPM-shaped model).
Converting the tiny file takes a fraction of a second, so the offer's threshold is lowered to
zero here; the seconds it compares are the worker's own measurement.
"""

from __future__ import annotations

import time

import pytest
from helpers.gguf_files import quantize, write_f16_model
from helpers.tiny import TINY_MINICPM, tiny_model
from mlx.utils import tree_flatten

from deskpet.inference.worker import InferenceWorker
from deskpet.pet import PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.ui.brain import Brain
from deskpet.ui.model_controller import ModelController
from deskpet.ui.relay import Relay

TINY_K = {**TINY_MINICPM, "hidden_size": 256, "intermediate_size": 768, "head_dim": 64}


@pytest.fixture(scope="module")
def tiny_ggufs(tmp_path_factory, demo_gguf):
    root = tmp_path_factory.mktemp("offer")
    weights = dict(tree_flatten(tiny_model(TINY_K).parameters()))
    f16 = write_f16_model(root / "tiny-F16.gguf", TINY_K, weights, demo_gguf)
    return {kind: quantize(f16, root / f"tiny-{kind}.gguf", kind) for kind in ("Q4_K_M", "Q8_0")}


@pytest.fixture
def controller(qtbot):
    relay = Relay()
    worker = InferenceWorker(relay.post).start()
    model = ModelController(
        Brain(worker, relay),
        PetMachine(clock=time.monotonic),
        source="",
        restore=lambda: [],
        pet_name=lambda: "Mochi",
        hub_endpoint=lambda: None,
        platform=DefaultPlatform(),
    )
    model.convert_offer_seconds = 0.0
    yield model
    assert worker.shutdown(5)


def load_and_collect(qtbot, model: ModelController, source) -> list[tuple[str, str]]:
    notices: list[tuple[str, str]] = []
    model.on_notice.connect(lambda title, text: notices.append((title, text)))
    with qtbot.waitSignal(model.on_ready, timeout=120_000):
        model.load(str(source))
    return notices


def test_a_converted_gguf_brings_the_offer(qtbot, controller, tiny_ggufs):
    path = tiny_ggufs["Q4_K_M"]
    notices = load_and_collect(qtbot, controller, path)
    assert controller.info["conversion_seconds"] > 0
    assert len(notices) == 1
    title, text = notices[0]
    assert title == "deskpet converted this model while loading"
    assert f'deskpet model convert "{path}" "{path.with_name("tiny-Q4_K_M-mlx")}"' in text


def test_a_gguf_read_as_stored_brings_none(qtbot, controller, tiny_ggufs):
    notices = load_and_collect(qtbot, controller, tiny_ggufs["Q8_0"])
    assert controller.info["conversion_seconds"] == 0
    assert notices == []
