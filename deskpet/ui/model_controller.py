"""ModelController: which model the pet thinks with, loading it, and the first launch.

    start ──a saved model──▶ load ──LoadModel──▶ brain ──ModelLoading*, ModelReady, WarmedUp──▶
      │                        ▲                        └─Failed──▶ the model from before stays;
      └─no model yet──▶ FirstRun (onboarding) ─on_load─┘            without one, onboarding
                                                                    offers the other choices

A model replaces the one in use only once it has loaded, so the pet answers all along. Each
load has its own handler, and only the load asked for last moves anything: an earlier load
ending late changes nothing. A model typed into Settings that does not load is put back in
the settings. The `model` setting is written by onboarding only once its choice has loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from deskpet.i18n import shown, tr
from deskpet.inference.protocol import (
    CheckModel,
    Failed,
    LoadModel,
    ModelChecked,
    ModelLoading,
    ModelReady,
    WarmedUp,
)
from deskpet.inference.server_http import FRIENDLY as SERVER_FRIENDLY
from deskpet.inference.source import DEMO
from deskpet.pet import PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.ui.brain import Brain
from deskpet.ui.first_run import WAKING, FirstRun

log = logging.getLogger(__name__)


class ModelController(QObject):
    """Loads the owner's model and walks the first launch.

    Attributes:
        source: the model in use ("demo" for the built-in demo model); "" until one is chosen.
        info: the loaded model's info (InferenceWorker.model_info), else None.
        loaded: how many models have finished loading so far (with `info`, which one answers).
        first_run: the onboarding walk while one is under way, else None.

    Signals:
        on_status(str): a short line for the tray about the model.
        on_ready(str): a model finished loading and now answers (its source).
        on_save(str, object): a setting to save (key, value): the model onboarding chose once
            it loaded, or the previous model when one typed into Settings did not load.
        on_notice(str, str): something the owner should read (title, text); also the offer
            to save a GGUF whose tensors took long to convert at load as an MLX folder.
        on_onboarded(): onboarding ended with a warm model and its window closed.
    """

    on_status = Signal(str)
    on_ready = Signal(str)
    on_save = Signal(str, object)
    on_notice = Signal(str, str)
    on_onboarded = Signal()

    # A load that spent longer than this requantizing GGUF tensors is worth converting once.
    convert_offer_seconds = 5.0

    def __init__(
        self,
        brain: Brain,
        machine: PetMachine,
        *,
        source: str,
        restore: Callable[[], Iterable[object]],
        pet_name: Callable[[], str],
        hub_endpoint: Callable[[], str | None],
        platform: DefaultPlatform,
        switch_brain: Callable[[str | None, str], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("model-controller")
        self._brain = brain
        self._machine = machine
        self._restore = restore
        self._pet_name = pet_name
        self._hub_endpoint = hub_endpoint
        self._platform = platform
        # Onboarding's choice picks the brain too: (address, model) of a server, or None.
        self._switch_brain = switch_brain or (lambda _url, _model: None)
        self.source = source
        self.info: dict | None = None
        self.loaded = 0
        self.first_run: FirstRun | None = None
        self._loading = ""  # the source being loaded; `source` once it has
        self._load_request: int | None = None
        self._revert: str | None = None  # a Settings choice waiting to load: the value before
        self._closed = False

    # -- loading -------------------------------------------------------------------------------

    def start(self) -> None:
        """Load the saved model, or, with none yet, let the pet sleep and open onboarding."""
        if self.source:
            self.load(self.source)
        else:
            self._machine.no_model()
            self.on_status.emit(tr("Choose a model to wake your pet up"))
            self.open_onboarding()

    def load(self, source: str) -> None:
        """Load a model (it replaces the current one only once it has loaded) and give every
        saved conversation back to it."""
        self._loading = source
        request_id = self._brain.submit(LoadModel(source), lambda e: self._on_load_event(e))
        self._load_request = request_id
        # Queued behind the load (it outranks them), so they find the model loaded.
        for request in self._restore():
            self._brain.submit(request)

    def brain_changed(self) -> None:
        """Another brain took over (Settings): the model went with the old one, and nothing
        it still says about a load counts. The pet waits, loading, for `restart`."""
        self.info = None
        self._revert = None
        self._load_request = None
        self._machine.model_loading()

    def restart(self, source: str) -> None:
        """Load `source` on the new brain as at start, with progress (onboarding when there
        is none yet)."""
        self.brain_changed()
        self.source = source
        self.start()

    def choose(self, source: str) -> None:
        """The owner typed a model into Settings (already saved): load it now; if it does not
        load, the setting goes back to the model in use."""
        if not source or source == self.source:
            return
        self._revert = self.source
        self.load(source)

    def model_key(self) -> int | None:
        """Which model answers now (a number no other load has had), or None while none does:
        what facts about the loaded model are kept by (AdapterChecks)."""
        return self.loaded if self.info is not None else None

    def waiting(self) -> bool:
        """No model yet, and onboarding is where the owner gets one."""
        return self.info is None and self.first_run is not None

    def close(self) -> None:
        """deskpet quits: onboarding stops (a download keeps its bytes and its note)."""
        self._closed = True
        if self.first_run is not None:
            self.first_run.close()

    def _on_load_event(self, event: object) -> None:
        if self._closed:
            return
        latest = event.request_id == self._load_request
        match event:
            case ModelLoading():
                self._machine.model_loading()
                self.on_status.emit(shown(event.message))
                if self.first_run is not None:
                    self.first_run.model_loading(shown(event.message))
            case ModelReady():
                self.info = event.info
                self.loaded += 1
                if latest:  # else an earlier load ended first; the last one asked for follows
                    self._ready(event.info)
            case WarmedUp() if latest and self.first_run is not None:
                self.first_run.warmed_up()
            case Failed() if latest:
                log.warning("could not load %s: %s", self._loading, event.message)
                self._failed(_reason(event))  # logged above in English

    def _ready(self, info: dict) -> None:
        self._revert = None
        self.source = self._loading or self.source
        self._machine.model_ready()
        name = tr("the demo model") if self.source == DEMO else info.get("name", tr("the model"))
        self.on_status.emit(tr("Awake with {model}", model=name))
        if self.first_run is not None:
            self.first_run.model_ready()
        self.on_ready.emit(self.source)
        self._offer_conversion(info)

    def _offer_conversion(self, info: dict) -> None:
        seconds = info.get("conversion_seconds") or 0.0
        if seconds <= self.convert_offer_seconds:
            return
        source = Path(info.get("source", ""))
        folder = source.with_name(f"{source.stem}-mlx")
        self.on_notice.emit(
            tr("deskpet converted this model while loading"),
            tr(
                "{name} took {seconds} s to convert at this start. To start at once next time,"
                ' run  deskpet model convert "{source}" "{folder}"  and choose that folder in'
                " Settings.",
                name=source.name,
                seconds=f"{seconds:.0f}",
                source=source,
                folder=folder,
            ),
        )

    def _failed(self, message: str) -> None:
        """A load failed: `message` is the owner's words for why (`_reason`)."""
        source, self._loading = self._loading, ""
        revert, self._revert = self._revert, None
        if revert is not None:  # typed into Settings and did not load: the old value returns
            self.on_save.emit("model", revert)
        if self.first_run is not None and self.first_run.step == WAKING:
            self.first_run.model_failed(message)  # said in its window, with the other choices
            if self.info is None:
                self._machine.no_model()
            else:
                self._machine.model_ready()  # the model from before is still there
        elif self.info is None:
            # The saved model is gone (a moved folder, an unplugged disk): onboarding offers
            # the other choices; the setting stays, for when the model comes back.
            self._machine.no_model()
            self.on_status.emit(tr("The model could not be loaded"))
            first_run = self.open_onboarding(resume=False)
            first_run.offer_choices(
                tr("deskpet could not load {model}: {why}", model=source, why=message)
            )
        else:  # the model from before keeps answering
            self._machine.model_ready()
            self.on_notice.emit(tr("deskpet could not load the model"), message)

    # -- onboarding ----------------------------------------------------------------------------

    def open_onboarding(self, resume: bool | None = None) -> FirstRun:
        """Show onboarding (again, or for the first time); a download deskpet quit in the
        middle of goes on by itself at the first launch (unless `resume` is False)."""
        if self.first_run is not None:
            self.first_run.open(resume=False)
            return self.first_run
        first_run = FirstRun(
            endpoint=self._hub_endpoint(),
            pet_name=self._pet_name(),
            checker=self._check,
            platform=self._platform,
            parent=self,
        )
        first_run.on_load.connect(self._use_local)
        first_run.on_server.connect(self._use_server)
        first_run.on_ready.connect(self._save_choice)
        first_run.on_done.connect(self._onboarded)
        first_run.on_status.connect(self.on_status)
        self.first_run = first_run
        first_run.open(resume=self.info is None if resume is None else resume)
        return first_run

    def _use_local(self, source: str) -> None:
        self._switch_brain(None, "")
        self.load(source)

    def _use_server(self, url: str, model: str) -> None:
        try:
            self._switch_brain(url, model)
        except ValueError as e:  # not an address
            log.warning("cannot use a model server there: %s", e)
            if self.first_run is not None:
                self.first_run.model_failed(shown(e))
            return
        self.load(url)

    def _save_choice(self, source: str) -> None:
        """Onboarding's choice loaded: keep it (a server's address and model, or the model)."""
        server = self.first_run.server if self.first_run is not None else None
        if server is not None:
            self.on_save.emit("server_url", server[0])
            self.on_save.emit("server_model", server[1])
            self.on_save.emit("brain", "server")
        else:
            self.on_save.emit("model", source)
            self.on_save.emit("brain", "local")

    def _check(self, source: str) -> None:
        """Can this folder or .gguf be loaded? Read on the worker (MLX stays on its thread)."""
        self._brain.submit(CheckModel(source), lambda event: self._on_checked(source, event))

    def _on_checked(self, source: str, event: object) -> None:
        if self._closed or self.first_run is None:
            return
        if isinstance(event, ModelChecked):
            self.first_run.model_checked(event.source, shown(event.reason))
        elif isinstance(event, Failed):  # the window must not wait for an answer forever
            self.first_run.model_checked(source, shown(event.message))

    def _onboarded(self, _source: str) -> None:
        first_run, self.first_run = self.first_run, None
        if first_run is not None:
            first_run.dispose()
        self.on_onboarded.emit()


def _reason(failed: Failed) -> str:
    """Why a load failed, for the owner: a model server's fault in deskpet's words, by its
    kind (the server's own text, such as "/v1/models: HTTP 401", goes to the log only); a
    local load's ModelLoadError line as it is, since it names the file to fix."""
    if failed.kind in SERVER_FRIENDLY:
        return tr(SERVER_FRIENDLY[failed.kind])
    return shown(failed.message)
