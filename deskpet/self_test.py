"""`deskpet --self-test`: does this install (or frozen app bundle) work end to end?

Checks, in order, one line each: MLX computes (on a Mac this loads libmlx and mlx.metallib
from wherever they were installed or bundled), the shipped personas and themes are found, the
demo model is at hand (fetched once into the cache if needed), the InferenceWorker loads it and
generates a few tokens, and the pet renders offscreen with opaque pixels; with `brain: server`
in the settings, the model server answers and serves the model named. Exit status 0 when all
pass; 1 naming the first check that failed. A check that needs an earlier one is skipped, not
run, when that one failed.

Needs no display: QT_QPA_PLATFORM is set to "offscreen" when unset. The packaging scripts run
it inside the built bundle (packaging/build_macos.sh, packaging/build_linux.sh).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

GENERATE_TIMEOUT = 600.0  # seconds: load + a few tokens on a busy CPU-only machine
MAX_TOKENS = 8


class CheckFailed(Exception):
    """A check's failure, its message one line."""


class _Run:
    def __init__(self) -> None:
        self.failed: list[str] = []
        self.values: dict[str, object] = {}

    def check(self, name: str, fn: Callable[[], str], needs: tuple[str, ...] = ()) -> None:
        missing = [n for n in needs if n not in self.values]
        if missing:
            print(f"skip  {name}: needs {', '.join(missing)}", flush=True)
            return
        started = time.perf_counter()
        try:
            detail = fn()
        except Exception as e:  # every failure becomes one line
            if os.environ.get("DESKPET_SELF_TEST_TRACE"):
                traceback.print_exc()
            message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if not isinstance(e, CheckFailed):
                message = f"{type(e).__name__}: {message}"
            print(f"FAIL  {name}: {message}", flush=True)
            self.failed.append(name)
            return
        self.values.setdefault(name, True)
        print(f"ok    {name}: {detail} ({time.perf_counter() - started:.1f} s)", flush=True)


def run_self_test(model: str | None = None) -> int:
    """Run every check on `model` (a source: a folder, a .gguf or "demo"; None: the one
    deskpet.inference.source chooses); 0 when all pass, else 1 (the failing checks are named)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    frozen = getattr(sys, "_MEIPASS", None)
    print(
        f"deskpet self-test: Python {sys.version.split()[0]} on {sys.platform}"
        + (f", frozen at {frozen}" if frozen else ""),
        flush=True,
    )
    run = _Run()
    run.check("mlx", _check_mlx)
    run.check("personas", _check_personas)
    run.check("demo model", lambda: _check_model(run, model))
    run.check("generate", lambda: _check_generate(run), needs=("mlx", "demo model"))
    run.check("render", _check_render)
    run.check("windows", _check_windows)
    if model is None and _brain_is_server():
        run.check("model server", _check_server)
    if run.failed:
        print(f"self-test FAILED: {', '.join(run.failed)}", flush=True)
        return 1
    print("self-test passed", flush=True)
    return 0


def _check_mlx() -> str:
    import mlx.core as mx

    a = mx.arange(12, dtype=mx.float32).reshape(3, 4)
    total = (a @ a.T).sum().item()  # a matmul runs a real kernel (Metal: from mlx.metallib)
    if total != 1134.0:
        raise CheckFailed(f"a 3x4 matmul summed to {total}, expected 1134")
    return f"mlx {mx.__version__}, device {mx.default_device()}"


def _check_personas() -> str:
    from deskpet.personas.persona import load_all, shipped_dir

    root = shipped_dir()
    personas, problems = load_all((root, True))
    if not personas:
        raise CheckFailed(f"no shipped personas in {root}")
    if problems:
        raise CheckFailed(problems[0])
    return f"{len(personas)} in {root} ({', '.join(sorted(personas))})"


def _check_model(run: _Run, model: str | None) -> str:
    from deskpet.inference.source import choose, local_path

    source = model or choose()
    path = local_path(source, lambda msg: print(f"      {msg}", flush=True))
    if not path.exists():
        raise CheckFailed(f"{source} does not exist")
    run.values["model path"] = path
    size = (
        sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        if path.is_dir()
        else path.stat().st_size
    )
    return f"{path} ({size / 1e6:.0f} MB)"


def _check_generate(run: _Run) -> str:
    from deskpet.inference.protocol import Failed, Finished, ModelReady, Token
    from deskpet.inference.worker import InferenceWorker

    path = run.values["model path"]
    worker = InferenceWorker().start()
    deadline = time.monotonic() + GENERATE_TIMEOUT
    try:
        load_id = worker.load(path, stream=True)
        chat_id = worker.chat(
            "self-test", "Say hello in three words.", max_tokens=MAX_TOKENS, stream=True
        )
        ready = None
        for event in worker.events_for(load_id, timeout=GENERATE_TIMEOUT):
            if isinstance(event, Failed):
                raise CheckFailed(event.message)
            if isinstance(event, ModelReady):
                ready = event.info
                break
        if ready is None:
            raise CheckFailed("the worker stopped before the model was ready")
        tokens = 0
        finished = None
        for event in worker.events_for(chat_id, timeout=max(0.0, deadline - time.monotonic())):
            if isinstance(event, Failed):
                raise CheckFailed(event.message)
            if isinstance(event, Token):
                tokens += event.event.token is not None
            elif isinstance(event, Finished):
                finished = event
        if finished is None or tokens == 0 or not finished.text.strip():
            reason = finished.reason if finished is not None else "none"
            raise CheckFailed(f"no text generated (finish reason {reason})")
        stats = finished.stats or {}
        speed = stats.get("generation_tps") or stats.get("gen_tps")
        return f"{tokens} tokens {finished.text.strip()!r}" + (
            f", {speed:.1f} tok/s" if isinstance(speed, int | float) else ""
        )
    except TimeoutError:
        raise CheckFailed(f"no answer within {GENERATE_TIMEOUT:.0f} s") from None
    finally:
        worker.cancel()
        worker.shutdown(timeout=10.0)


def _check_render() -> str:
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from deskpet.settings import Settings
    from deskpet.ui.pet_window import PetWindow
    from deskpet.ui.theme import assets_dir, load_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme = load_theme()
    if theme.problems:
        raise CheckFailed(f"theme {theme.id}: {theme.problems[0]}")
    frames = theme.pixmaps(theme.animation("idle"), 128)
    frame_opaque = _opaque_fraction(frames[0].toImage())
    if frame_opaque < 0.02:
        raise CheckFailed(f"the idle frame is {frame_opaque:.1%} opaque: the art did not render")
    with tempfile.TemporaryDirectory(prefix="deskpet-self-test-") as tmp:
        # A settings file of its own: the owner's pet positions stay untouched.
        window = PetWindow(settings=Settings(Path(tmp) / "settings.yaml"))
        try:
            # grab() paints the widget as it would on screen, without showing it.
            image = window.grab().toImage()
        finally:
            window.close()
            window.deleteLater()
            app.processEvents()
    window_opaque = _opaque_fraction(image.convertToFormat(QImage.Format.Format_ARGB32))
    if window_opaque < 0.02:
        raise CheckFailed(f"the pet window painted {window_opaque:.1%} opaque pixels")
    return (
        f"theme {theme.id} from {assets_dir()}, {QApplication.platformName()} platform, "
        f"{window_opaque:.0%} of the pet window opaque"
    )


def _check_windows() -> str:
    """Onboarding and Settings build and paint: a missing module or data file in a bundle
    (huggingface-hub for the download, say) shows here rather than on an owner's first run."""
    from PySide6.QtWidgets import QApplication

    from deskpet.inference.download import hub_name
    from deskpet.settings import Settings
    from deskpet.ui.first_run import FirstRun
    from deskpet.ui.settings_window import SettingsWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    hub = hub_name(None)  # imports huggingface-hub, as the download does
    with tempfile.TemporaryDirectory(prefix="deskpet-self-test-") as tmp:
        first_run = FirstRun(checker=lambda _path: None)  # painted only, never asked
        settings = SettingsWindow(Settings(Path(tmp) / "settings.yaml"))
        try:
            sizes = [w.grab().size() for w in (first_run.window, settings)]
        finally:
            for window in (first_run.window, settings):
                window.close()
                window.deleteLater()
            first_run.deleteLater()
            app.processEvents()
    if any(size.isEmpty() for size in sizes):
        raise CheckFailed("the onboarding or settings window painted nothing")
    return f"onboarding and settings windows painted; downloads from {hub}"


def _brain_is_server() -> bool:
    from deskpet.settings import Settings, SettingsFileError

    try:
        return Settings().get("brain") == "server"
    except SettingsFileError:
        return False


def _check_server() -> str:
    """The owner's brain is a model server: the doctor's look at it (deskpet.bridge.
    doctor_server: it answers, it serves the model named, it takes the key)."""
    from deskpet.bridge.doctor import FAIL, Diagnosis
    from deskpet.bridge.doctor_server import check_server

    result = Diagnosis()
    check_server(result)
    for finding in result.findings:
        if finding.level == FAIL:
            raise CheckFailed(finding.text)
    return "; ".join(f.text for f in result.findings) or "not asked"


def _opaque_fraction(image) -> float:
    """The share of pixels with alpha above half, sampled on a grid (fast enough in Python)."""
    from PySide6.QtGui import QColor

    width, height = image.width(), image.height()
    if width == 0 or height == 0:
        return 0.0
    step = max(1, min(width, height) // 64)
    total = opaque = 0
    for y in range(0, height, step):
        for x in range(0, width, step):
            total += 1
            opaque += QColor.fromRgba(image.pixel(x, y)).alpha() > 127
    return opaque / total
