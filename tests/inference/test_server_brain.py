"""ServerBrain against a stdlib server on loopback (tests/helpers/fake_model_server.py): the
faults a real server does not make on cue, the fields deskpet sends, cancel and preemption.
The real llama.cpp server is in test_server_llama.py."""

from __future__ import annotations

import logging

import pytest
from helpers.fake_model_server import FakeModelServer, free_port

from deskpet.inference import server_http
from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import (
    ADAPTER,
    AdapterChecked,
    AdapterLoaded,
    Chat,
    CheckAdapter,
    Done,
    Failed,
    Finished,
    LoadAdapter,
    LoadModel,
    ModelReady,
    Narrate,
    RestoreConversation,
    SwitchAdapter,
    Token,
)
from deskpet.inference.server_brain import ServerBrain
from deskpet.inference.server_http import ThinkSplitter

KEY = "sk-test-secret-key-123"


@pytest.fixture
def server():
    s = FakeModelServer()
    yield s
    s.close()


@pytest.fixture
def brain(server):
    b = ServerBrain(url=server.url, model="fake-model", api_key=KEY, read_timeout=2.0).start()
    yield b
    assert b.shutdown()


def run(brain, request) -> list:
    rid = brain.submit(request, stream=True)
    return list(brain.events_for(rid, timeout=20))


def ask(brain, text, **kw) -> list:
    return run(brain, Chat("c", text, **kw))


def cancelled_chat(brain, text: str, after: int) -> list:
    """A chat's events, cancelled once `after` events have come (the last a Token)."""
    rid = brain.submit(Chat("c", text), stream=True)
    events = []
    for event in brain.events_for(rid, timeout=20):
        events.append(event)
        if isinstance(event, Token) and len(events) == after:
            brain.cancel(rid)
    return events


def finished(events) -> Finished:
    [fin] = [e for e in events if isinstance(e, Finished)]
    return fin


def test_a_load_lists_the_model_and_a_chat_streams_its_answer(brain, server):
    events = run(brain, LoadModel("ignored"))
    assert isinstance(events[-1], Done)
    [ready] = [e for e in events if isinstance(e, ModelReady)]
    assert ready.info["name"] == "fake-model" and ready.info["format"] == "server"

    events = ask(brain, "hi", sampling=Sampling(temperature=0.2, top_k=5), max_tokens=33)
    tokens = [e.event for e in events if isinstance(e, Token)]
    assert "".join(t.text for t in tokens) == "Hello there, friend."
    assert tokens[-1].finish_reason == "stop"
    fin = finished(events)
    assert (fin.reason, fin.text, fin.conversation) == ("stop", "Hello there, friend.", "c")
    assert fin.stats["generation_tokens"] == 5 and fin.stats["prompt_tokens"] == 10
    body = server.bodies[-1]
    assert body["model"] == "fake-model" and body["stream"] is True
    assert body["max_tokens"] == 33 and body["temperature"] == 0.2 and body["top_k"] == 5
    assert body["cache_prompt"] is True
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert server.headers[-1]["Authorization"] == f"Bearer {KEY}"


def test_follow_up_turns_send_the_conversation_kept_here(brain, server):
    ask(brain, "first question", system_prompt="You are a cat.")
    ask(brain, "second question")
    messages = server.bodies[-1]["messages"]
    assert messages == [
        {"role": "system", "content": "You are a cat."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "Hello there, friend."},
        {"role": "user", "content": "second question"},
    ]
    run(brain, RestoreConversation("c", "You are a dog.", [("old q", "old a")]))
    ask(brain, "third")
    assert [m["content"] for m in server.bodies[-1]["messages"]] == [
        "You are a dog.",
        "old q",
        "old a",
        "third",
    ]


def test_a_long_conversation_drops_its_oldest_turns(server):
    brain = ServerBrain(url=server.url, context_window=256).start()
    try:
        for i in range(40):
            ask(brain, f"question number {i} " + "x" * 40)
        contents = [m["content"] for m in server.bodies[-1]["messages"]]
        assert contents[-1].startswith("question number 39")
        assert not any(c.startswith("question number 0 ") for c in contents)
        assert sum(map(len, contents)) <= 256 * 3
    finally:
        brain.shutdown()


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        ("401", server_http.AUTH),
        ("404", server_http.MODEL_MISSING),
        ("500", server_http.SERVER_ERROR),
        ("malformed", server_http.BAD_STREAM),
        ("cut", server_http.STREAM_CUT),
        ("hang", server_http.TIMEOUT),
    ],
)
def test_each_fault_is_one_failure_and_the_next_message_works(brain, server, mode, kind, caplog):
    server.mode = mode
    with caplog.at_level(logging.INFO):
        events = ask(brain, "my private words")
    failed = [e for e in events if isinstance(e, Failed)]
    assert [f.kind for f in failed] == [kind]
    assert "\n" not in failed[0].message
    assert not [e for e in events if isinstance(e, Finished)]
    assert isinstance(events[-1], Done)
    assert server_http.FRIENDLY[kind]
    # One log line for it, never the key nor what the owner wrote.
    lines = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert len(lines) == 1
    assert KEY not in caplog.text and "my private words" not in caplog.text

    server.mode = "ok"
    assert finished(ask(brain, "again")).text == "Hello there, friend."


def test_a_refused_connection_is_one_failure(caplog):
    brain = ServerBrain(url=f"http://127.0.0.1:{free_port()}", api_key=KEY).start()
    try:
        events = run(brain, LoadModel(""))
        assert [e.kind for e in events if isinstance(e, Failed)] == [server_http.UNREACHABLE]
        events = ask(brain, "hello")
        assert [e.kind for e in events if isinstance(e, Failed)] == [server_http.UNREACHABLE]
        assert KEY not in caplog.text
    finally:
        brain.shutdown()


def test_a_model_the_server_does_not_list_fails_the_load(server):
    brain = ServerBrain(url=server.url, model="llama-9000").start()
    try:
        events = run(brain, LoadModel(""))
        assert [e.kind for e in events if isinstance(e, Failed)] == [server_http.MODEL_MISSING]
    finally:
        brain.shutdown()


def test_cancel_closes_the_stream_mid_answer(brain, server):
    server.answer = [f" word{i}" for i in range(200)]
    server.delay = 0.05
    fin = finished(cancelled_chat(brain, "talk a lot", after=3))
    assert fin.reason == "cancelled" and fin.text.startswith(" word0 word1")
    # The server saw the client go: it did not write its 200 chunks to nobody.
    assert server.stream_ended.wait(5) and server.gone.is_set()
    assert server.sent < 200
    server.delay, server.answer = 0.0, ["ok"]
    assert finished(ask(brain, "next")).text == "ok"


def test_a_chat_preempts_a_running_narration(brain, server):
    server.answer = [f" w{i}" for i in range(200)]
    server.delay = 0.05
    narration = brain.submit(Narrate("the agent edited a file"), stream=True)
    stream = brain.events_for(narration, timeout=20)
    first = next(stream)
    assert isinstance(first, Token)
    server.delay, server.answer = 0.0, ["sure"]
    chat = brain.submit(Chat("c", "hey"), stream=True)
    rest = list(stream)
    assert finished(rest).reason == "preempted"
    assert finished(list(brain.events_for(chat, timeout=20))).text == "sure"
    assert server.bodies[0]["chat_template_kwargs"] == {"enable_thinking": False}
    assert server.bodies[0]["messages"][1]["content"] == "the agent edited a file"


def test_reasoning_content_and_think_tags_go_to_the_reasoning_channel(brain, server):
    server.reasoning = ["Let me ", "think."]
    server.answer = ["<thi", "nk>hidden</th", "ink>Shown", " answer"]
    events = ask(brain, "why?", think=True)
    fin = finished(events)
    assert fin.reasoning == "Let me think.hidden"
    assert fin.text == "Shown answer"
    channels = {e.event.channel for e in events if isinstance(e, Token) and e.event.text}
    assert channels == {"reasoning", "answer"}
    assert server.bodies[-1]["chat_template_kwargs"] == {"enable_thinking": True}


def test_think_splitter_holds_a_tag_split_across_chunks():
    s = ThinkSplitter()
    out = s.feed("a<") + s.feed("think>b</thin") + s.feed("k>c<") + s.flush()
    assert out == [("answer", "a"), ("reasoning", "b"), ("answer", "c"), ("answer", "<")]


def test_a_strict_server_gets_openai_fields_only_after_one_refusal(brain, server):
    server.mode = "strict"
    assert finished(ask(brain, "hi")).text == "Hello there, friend."
    assert "cache_prompt" in server.bodies[0] and "cache_prompt" not in server.bodies[1]
    assert finished(ask(brain, "again")).reason == "stop"
    assert len(server.bodies) == 3


def test_a_persona_adapter_is_selected_where_the_server_lists_it():
    server = FakeModelServer(loras=[{"id": 0, "path": "/m/pirate.gguf", "scale": 0.0}])
    brain = ServerBrain(url=server.url).start()
    try:
        run(brain, LoadModel(""))
        events = run(brain, LoadAdapter("pirate", "/personas/pirate.gguf"))
        assert [type(e) for e in events] == [AdapterLoaded, Done]
        run(brain, SwitchAdapter("pirate"))
        ask(brain, "arr")
        assert server.bodies[-1]["lora"] == [{"id": 0, "scale": 1.0}]
        checked = run(brain, CheckAdapter("/elsewhere/pirate.gguf"))[0]
        assert isinstance(checked, AdapterChecked) and checked.reason == ""
        run(brain, SwitchAdapter(None))
        ask(brain, "plain")
        assert server.bodies[-1]["lora"] == [{"id": 0, "scale": 0.0}]
        assert brain.prompt_only == set()
    finally:
        brain.shutdown()
        server.close()


def test_without_lora_selection_the_persona_is_prompt_only(brain, server):
    run(brain, LoadModel(""))
    events = run(brain, LoadAdapter("pirate", "/personas/pirate"))
    assert [e.kind for e in events if isinstance(e, Failed)] == [ADAPTER]
    assert brain.prompt_only == {"pirate"}
    assert "prompt" in run(brain, CheckAdapter("/personas/pirate"))[0].reason
    run(brain, SwitchAdapter("pirate"))
    assert finished(ask(brain, "hi")).reason == "stop"
    assert "lora" not in server.bodies[-1]


def test_requests_after_shutdown_end_with_done(server):
    brain = ServerBrain(url=server.url).start()
    assert brain.shutdown()
    rid = brain.submit(Chat("c", "hi"), stream=True)
    assert [type(e) for e in brain.events_for(rid, timeout=5)] == [Done]


def test_discovery_finds_a_server_and_skips_the_rest(server):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from deskpet.inference.server_discovery import discover

    class NotAModelServer(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>a web page</html>")

        def log_message(self, *args):
            pass

    other = HTTPServer(("127.0.0.1", 0), NotAModelServer)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        ports = (
            (free_port(), "llama.cpp server"),
            (other.server_address[1], "LM Studio"),
            (server.port, "Ollama"),
        )
        found = discover(ports, timeout=1.0)
    finally:
        other.shutdown()
        other.server_close()
    assert [(f.url, f.kind, f.models) for f in found] == [(server.url, "Ollama", ("fake-model",))]


def test_the_server_bench_measures_through_the_brains_interface(brain, server):
    from deskpet.inference.bench_server import QUESTIONS, format_server, measure_brain

    server.delay = 0.01
    result = measure_brain(brain, "server", "", 16, lambda _msg: None)
    assert not result.error and len(result.turns) == 2
    for turn in result.turns:
        assert 0 < turn.first_token <= turn.total
        assert turn.tokens == 5 and turn.decode_tps > 0 and turn.reason == "stop"
    assert [b["messages"][-1]["content"] for b in server.bodies] == list(QUESTIONS)
    assert len(server.bodies[-1]["messages"]) == 4  # the follow-up carries the first turn
    table = format_server([result], 16)
    assert "server" in table and "failed" not in table
    server.mode = "500"
    failed = measure_brain(brain, "server", "", 16, lambda _msg: None)
    assert failed.error.startswith("server_error") and "failed: server_error" in format_server(
        [failed], 16
    )


def test_a_narration_closes_the_stream_once_its_first_sentence_ended(brain, server):
    server.answer = ["The agent", " ran the tests.", " Then it", " went on", " and on."] * 20
    server.delay = 0.05
    fin = finished(run(brain, Narrate("the agent ran the tests")))
    assert (fin.reason, fin.text) == ("stop", "The agent ran the tests.")
    assert server.stream_ended.wait(5) and server.gone.is_set() and server.sent < 100
    server.delay = 0.0
    whole = finished(run(brain, Narrate("again", first_sentence=False, max_tokens=5)))
    assert whole.text.startswith("The agent ran the tests. Then it")


def test_an_error_label_from_the_server_reaches_the_log_only_as_a_plain_word():
    import io
    import json as _json

    from deskpet.inference.server_http import _error_detail

    def body(label):
        error = {"error": {"type": label, "message": "your prompt"}}
        return io.BytesIO(_json.dumps(error).encode())

    assert _error_detail(body("invalid_request_error")) == " (invalid_request_error)"
    assert _error_detail(body("bad\nINFO forged log line")) == ""
    assert _error_detail(io.BytesIO(b"not json")) == ""


def test_the_key_is_read_from_its_file_on_the_brains_own_thread(server, tmp_path, monkeypatch):
    import threading

    from deskpet.platform import keychain

    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "data"))
    keychain.FileKeychain().set(keychain.SERVER_KEY, KEY)
    readers: list[str] = []

    def key() -> str | None:
        readers.append(threading.current_thread().name)
        return keychain.server_key()  # the real 0600 file, as on Linux

    brain = ServerBrain(url=server.url, api_key=key)
    assert readers == []  # building the brain reads nothing (the GUI thread builds it)
    brain.start()
    try:
        assert finished(ask(brain, "hi")).text == "Hello there, friend."
        assert readers == ["deskpet-server"]  # once, on its thread
        assert server.headers[-1]["Authorization"] == f"Bearer {KEY}"
        assert KEY not in repr(brain)
    finally:
        brain.shutdown()


def test_a_key_store_that_raises_is_one_log_line_and_the_server_is_asked_without_a_key(
    server, caplog
):
    def broken() -> str:
        raise RuntimeError(f"the keychain exploded near {KEY}")

    brain = ServerBrain(url=server.url, api_key=broken).start()
    try:
        with caplog.at_level(logging.WARNING):
            assert [type(e) for e in run(brain, LoadModel(""))][-1] is Done
            server.script = ["401"]  # a server that wanted the key turns the request down
            events = ask(brain, "hi")
        assert [e.kind for e in events if isinstance(e, Failed)] == [server_http.AUTH]
        assert "Authorization" not in server.headers[-1]
        lines = [r for r in caplog.records if "could not be read" in r.getMessage()]
        assert len(lines) == 1 and lines[0].exc_info is None  # one line, no traceback
        assert "RuntimeError" in lines[0].getMessage()
        assert KEY not in caplog.text
    finally:
        brain.shutdown()


def test_a_brain_replacing_another_numbers_its_requests_after_the_old_ones(server):
    # Both brains' events share the GUI's relay for a moment during a switch.
    old = ServerBrain(url=server.url).start()
    new = ServerBrain(url=server.url)
    try:
        last = max(old.submit(LoadModel("")) for _ in range(3))
        new.number_after(old)
        new.start()
        assert new.submit(LoadModel("")) == last + 1
    finally:
        old.shutdown()
        new.shutdown()


def test_the_last_token_and_finished_tell_the_same_ending_as_the_mlx_worker(brain, server):
    """As worker.py does: a first sentence cut short ends "stop" (the last Token too); a
    cancelled chat "cancelled" in both; a preempted narration's last Token "cancelled" (what
    generate() says) and its Finished "preempted"."""

    def ending(events) -> tuple[str | None, str]:
        tokens = [e.event for e in events if isinstance(e, Token)]
        return tokens[-1].finish_reason, finished(events).reason

    server.answer = ["The agent", " ran the tests.", " Then it", " went on."] * 50
    server.delay = 0.02
    assert ending(run(brain, Narrate("the agent ran the tests"))) == ("stop", "stop")
    # A chat cancelled mid-answer
    assert ending(cancelled_chat(brain, "tell me", after=2)) == ("cancelled", "cancelled")
    # A narration preempted by a chat
    narration = brain.submit(Narrate("the agent ran", first_sentence=False), stream=True)
    stream = brain.events_for(narration, timeout=20)
    events = [next(stream)]
    brain.submit(Chat("c", "hey"))
    events += list(stream)
    assert ending(events) == ("cancelled", "preempted")
