"""FirstRun: from no model to a greeting pet. It drives the onboarding window, the download
and the wait while the chosen model loads and warms up; the app does the loading.

    choose ──download──▶ downloading ──finished──▶ waking ──ready──▶ warming ──warm──▶ done
       ▲  ──folder / .gguf / demo──────────────────▲  │                                 │
       └───── stopped, failed, refused ◀───────────┴──┘          (model setting saved) ─┘

Nothing is half-saved: the `model` setting is written only once the chosen model is loaded,
so a window closed or a deskpet quit mid-way leaves the owner where they were, and the next
launch opens onboarding again. A download in progress is remembered in `onboarding.json`; the
next launch picks it up from the bytes already on disk (HTTP Range), without asking again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from deskpet import paths
from deskpet.i18n import tr
from deskpet.inference import download as dl
from deskpet.inference.source import DEMO
from deskpet.platform import DefaultPlatform
from deskpet.safefile import atomic_write_bytes, read_bytes
from deskpet.ui.model_download import ModelDownload
from deskpet.ui.onboarding import RECOMMENDED_MODEL, MachineFacts, OnboardingWindow

log = logging.getLogger(__name__)

CHOOSE, DOWNLOADING, WAKING, WARMING, DONE = "choose", "downloading", "waking", "warming", "done"


def state_path() -> Path:
    return paths.data_dir() / "onboarding.json"


def download_was_running() -> bool:
    """Whether deskpet quit (or was closed) while downloading the recommended model."""
    data = read_bytes(state_path())
    try:
        return data is not None and json.loads(data).get("step") == DOWNLOADING
    except (ValueError, AttributeError):
        return False  # our own note, unreadable: start from the choices


def _remember(step: str | None) -> None:
    try:
        if step is None:
            state_path().unlink(missing_ok=True)
        else:
            state_path().parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(state_path(), json.dumps({"step": step}).encode())
    except OSError as exc:  # only resuming by itself is lost
        log.warning("could not note the onboarding step: %s", exc)


def for_window(message: str, kind: str) -> str:
    """A download error's line with what to do next in this window (by its kind)."""
    if kind == dl.RESUME:
        return tr("{why}. Resume it above: the bytes already here are kept.", why=message)
    if kind == dl.FETCH_ANEW:
        return tr("{why}. Try the download again.", why=message)
    if kind == dl.DISK_FULL:
        return tr("{why}, then resume it above.", why=message)
    return tr("{why}. Try again later, or choose another model above.", why=message)


class FirstRun(QObject):
    """The walk from no model to a warm one (see the module docstring).

    The app tells it what the worker does (`model_loading`, `model_ready`, `model_failed`,
    `warmed_up`) for the loads it asked for, and saves the model once `on_ready` says so.

    Attributes:
        window: the OnboardingWindow.
        download: the ModelDownload once the owner chose it, else None.
        step: "choose", "downloading", "waking", "warming" or "done".
        source: the model being loaded ("demo", a folder or a .gguf), "" before a choice.

    Signals:
        on_load(str): load this model now.
        on_server(str, str): answer through this model server (address, model) and load it.
        on_ready(str): the chosen model is loaded: save it as the owner's model.
        on_done(str): it is warm too; the window has closed (the model's source).
        on_status(str): a short line for the tray while onboarding is under way.
    """

    on_load = Signal(str)
    on_server = Signal(str, str)
    on_ready = Signal(str)
    on_done = Signal(str)
    on_status = Signal(str)

    def __init__(
        self,
        checker: Callable[[str], None],
        endpoint: str | None = None,
        facts: MachineFacts | None = None,
        pet_name: str = "",
        platform: DefaultPlatform | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("first-run")
        self.endpoint = endpoint
        self.pet_name = pet_name
        self._platform = platform or DefaultPlatform()
        self.window = OnboardingWindow(facts, checker=checker)
        self.download: ModelDownload | None = None
        self.step = CHOOSE
        self.source = ""
        self.server: tuple[str, str] | None = None  # (address, model) when a server was chosen
        self._finished_copy: Path | None = None
        self._closing = False
        self.window.on_download_chosen.connect(self.start_download)
        self.window.on_model_chosen.connect(self.use)
        self.window.on_demo_chosen.connect(lambda: self.use(DEMO))
        self.window.on_download_stopped.connect(self.stop_download)
        self.window.on_server_chosen.connect(self.use_server)

    # -- showing ---------------------------------------------------------------------------------

    def open(self, resume: bool = True) -> None:
        """Show the window where the owner left it: a remembered download goes on by itself
        (when `resume`), a finished one is offered as it is."""
        if self.step == CHOOSE:
            self._offer()
            if resume and download_was_running():
                self.start_download()
        self._platform.bring_to_front(self.window)

    def _offer(self) -> None:
        finished, partial = dl.local_copies()
        self._finished_copy = finished
        if finished is not None:
            self.window.set_download_offer(downloaded=True)
        elif partial is not None:
            self.window.set_download_offer(have=dl.partial_bytes(partial))
        else:
            self.window.set_download_offer()

    def offer_choices(self, problem: str) -> None:
        """Say why the pet has no model (a saved one that no longer loads) above the choices,
        unless the owner is already on the way to another."""
        if self.step == CHOOSE:
            self.window.show_choices(problem)

    def model_checked(self, source: str, reason: str) -> None:
        """The worker's answer for a folder or .gguf the owner picked: "" or why not."""
        self.window.model_checked(source, reason)

    def dispose(self) -> None:
        """Free the window (it has no parent) and this walk, once it is over."""
        self.window.deleteLater()
        self.deleteLater()

    def close(self) -> None:
        """deskpet quits: stop the download (its bytes stay, and so does the note to resume)."""
        self._closing = True  # what the download says from now on changes nothing
        if self.download is not None:
            self.download.cancel()
        self.window.close()

    # -- the choices -----------------------------------------------------------------------------

    def start_download(self) -> None:
        if self._finished_copy is not None and self._finished_copy.is_dir():
            self.use(str(self._finished_copy))
            return
        if self.download is None:
            self.download = ModelDownload(self.endpoint, parent=self)
            self.download.on_planned.connect(self._on_planned)
            self.download.on_progress.connect(self._on_progress)
            self.download.on_finished.connect(self._on_downloaded)
            self.download.on_failed.connect(self._on_download_failed)
            self.download.on_cancelled.connect(self._on_download_stopped)
        self.step = DOWNLOADING
        _remember(DOWNLOADING)
        self.window.show_download()
        self.on_status.emit(tr("Downloading {model}…", model=RECOMMENDED_MODEL))
        self.download.start()

    def stop_download(self) -> None:
        if self.download is not None:
            self.download.cancel()

    def use_server(self, url: str, model: str) -> None:
        """Answer through a model server: connect to it while the pet wakes."""
        self._waking(url, (url, model), tr("the model server at {url}", url=url))
        self.on_server.emit(url, model)

    def use(self, source: str) -> None:
        """Load this model (already checked, or the demo) while the pet wakes."""
        what = tr("the demo model") if source == DEMO else Path(source).name
        self._waking(source, None, what)
        self.on_load.emit(source)

    def _waking(self, source: str, server: tuple[str, str] | None, what: str) -> None:
        if self.download is not None and self.download.running and self.step == DOWNLOADING:
            self.download.cancel()  # another choice wins; the bytes stay for later
            _remember(None)
        self.source, self.server = source, server
        self.step = WAKING
        self.window.show_waking(
            tr("Loading {model}…", model=what),
            tr("{pet} is waking up…", pet=self.pet_name or tr("Your pet")),
        )
        self.on_status.emit(tr("Waking up with {model}…", model=what))

    # -- the download ----------------------------------------------------------------------------

    def _downloading(self) -> bool:
        # Only the download the window shows may move the flow: not one stopped for another
        # choice, nor one cancelled because deskpet is quitting.
        return self.step == DOWNLOADING and not self._closing

    def _on_planned(self, _repo: str, total: int, have: int) -> None:
        if self._downloading():
            self.window.show_download(have, total)

    def _on_progress(self, done: int, total: int) -> None:
        if not self._downloading():
            return
        self.window.set_progress(done, total)
        if total:
            self.on_status.emit(
                tr(
                    "Downloading {model}: {percent}%",
                    model=RECOMMENDED_MODEL,
                    percent=100 * done // total,
                )
            )

    def _on_downloaded(self, folder: str) -> None:
        if not self._downloading():
            return
        _remember(None)
        self._finished_copy = Path(folder)
        self.use(folder)

    def _on_download_failed(self, message: str, kind: str) -> None:
        if not self._downloading():
            return
        _remember(None)
        self._back_to_choices(tr("The download stopped: {why}", why=for_window(message, kind)))

    def _on_download_stopped(self) -> None:
        if not self._downloading():
            return
        _remember(None)
        self._back_to_choices("")

    def _back_to_choices(self, error: str) -> None:
        self.step = CHOOSE
        self._offer()
        self.window.show_choices(error)
        self.on_status.emit(tr("Choose a model to wake your pet up"))
        if error:  # the owner may have closed the window: bring the news back
            self.window.show()

    # -- the model, as the app reports it --------------------------------------------------------

    def model_loading(self, message: str) -> None:
        if self.step == WAKING:
            self.window.set_waking_text(message)

    def model_ready(self) -> None:
        if self.step != WAKING:
            return
        self.step = WARMING
        self.window.set_waking_text(tr("Warming up…"))
        self.on_ready.emit(self.source)

    def model_failed(self, message: str) -> None:
        if self.step == WAKING:
            self._back_to_choices(tr("deskpet could not load that model: {why}", why=message))

    def warmed_up(self) -> None:
        if self.step != WARMING:
            return
        self.step = DONE
        self.window.close()
        self.on_done.emit(self.source)
