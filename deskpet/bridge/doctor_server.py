"""The doctor's look at the model server, when the pet's brain is one (`brain: server`).

One finding, topic "server": does the server answer `GET /v1/models` within a few seconds, does
it list the model the settings name, and does it take the API key. The key is read from the
keychain here (the doctor runs in a terminal or on the settings window's worker thread, never
the GUI's), sent only as the request's header, and never printed: the lines say whether a key
is saved, not what it is. Note that llama.cpp's server answers /v1/models without asking for
its key, so a wrong key there shows only when the pet first chats.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from deskpet.i18n import Said
from deskpet.inference.server_http import (
    AUTH,
    TIMEOUT,
    UNREACHABLE,
    ServerConnection,
    ServerError,
    model_ids,
)

log = logging.getLogger(__name__)

CONNECT_SECONDS = 2.0
READ_SECONDS = 3.0
LISTED = 5  # models named in a finding, at most


def check_server(result, settings=None, key: Callable[[], str | None] | None = None) -> None:
    """Add the "server" finding to `result` (a doctor.Diagnosis) when the brain is a server;
    nothing when it is the local model. `settings` and `key` are the owner's unless given."""
    from deskpet.bridge.doctor import FAIL, NOTE, OK
    from deskpet.settings import Settings, SettingsFileError

    try:
        settings = settings if settings is not None else Settings()
    except SettingsFileError:
        return  # the model's finding already says the settings cannot be read
    if settings.get("brain") != "server":
        return
    url, model = settings.get("server_url"), settings.get("server_model")
    if not url:
        result.add("server", FAIL, Said("the brain is a model server, but no address is set"))
        return
    api_key = _read_key(key)
    try:
        served = _models(url, api_key)
    except ValueError as e:  # not an address
        result.add("server", FAIL, Said("{why}: fix Model server in Settings", why=e))
        return
    except ServerError as e:
        log.info("doctor: the model server failed: %s: %s", e.kind, e)
        result.add("server", FAIL, _failure(url, e, api_key is not None))
        return
    if model and model not in served and f"{model}:latest" not in served:
        names = ", ".join(served[:LISTED]) + (", …" if len(served) > LISTED else "")
        result.add(
            "server",
            FAIL,
            Said(
                "{url} does not serve {model} (it lists: {names}): fix Server model in Settings",
                url=url,
                model=model,
                names=names or Said("nothing"),
            ),
        )
        return
    name = model or (served[0] if served else "")
    if not name:
        result.add("server", NOTE, Said("{url} answers but lists no model", url=url))
        return
    key_state = Said("with the saved API key") if api_key else Said("no API key saved")
    result.add(
        "server",
        OK,
        Said("{url} answers and serves {model} ({key})", url=url, model=name, key=key_state),
    )


def _read_key(key: Callable[[], str | None] | None) -> str | None:
    if key is None:
        from deskpet.platform.keychain import server_key as key
    try:
        return key() or None
    except Exception as e:  # the check goes on without it; the store's words stay out
        log.warning("doctor: the server API key could not be read (%s)", type(e).__name__)
        return None


def _models(url: str, api_key: str | None) -> list[str]:
    http = ServerConnection(
        url, api_key, connect_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS
    )
    try:
        return model_ids(http)
    finally:
        http.close()


def _failure(url: str, e: ServerError, has_key: bool) -> Said:
    if e.kind == UNREACHABLE:
        return Said("nothing answers at {url}: start the server, or fix its address", url=url)
    if e.kind == TIMEOUT:
        return Said("{url} did not answer within {seconds:g} s", url=url, seconds=READ_SECONDS)
    if e.kind == AUTH and has_key:
        return Said("{url} turned down the saved API key: save the right one in Settings", url=url)
    if e.kind == AUTH:
        return Said("{url} asks for an API key: save it in Settings", url=url)
    return Said("{url} answered /v1/models with an error ({why})", url=url, why=e)
