"""`deskpet chat`: a terminal chat on the same InferenceWorker the pet uses, or with `--server`
on a model server through the ServerBrain (the same requests and events).

Streams answers, shows reasoning dimmed, `/think` toggles thinking, `/reset` starts over,
`/system TEXT` sets the system prompt. Ctrl-C stops the answer (not the program), Ctrl-D quits.
With piped input it answers each line in turn and exits at the end of input.
"""

from __future__ import annotations

import logging
import sys

from .i18n import N_, shown, tr
from .inference.generate import Sampling
from .inference.protocol import (
    SERVER_KINDS,
    Failed,
    Finished,
    ModelLoading,
    ModelReady,
    ResetConversation,
    Token,
)
from .inference.server_http import FRIENDLY

log = logging.getLogger(__name__)

CONVERSATION = "terminal"
HELP = N_("Commands: /think  /reset  /system TEXT  /help   (Ctrl-C stops an answer, Ctrl-D quits)")


class _Screen:
    def __init__(self, out=sys.stdout):
        self.out = out
        self.tty = out.isatty()

    def write(self, text: str, dim: bool = False) -> None:
        if dim and self.tty:
            text = f"\x1b[2m{text}\x1b[0m"
        self.out.write(text)
        self.out.flush()


def run_terminal_chat(args, model_source: str, brain=None) -> int:
    """Chat on `brain` (a started InferenceWorker or ServerBrain; default: a new worker)."""
    screen = _Screen()
    interactive = sys.stdin.isatty()
    _tolerate_bad_bytes(sys.stdin)
    if brain is None:
        from .inference.worker import InferenceWorker

        brain = InferenceWorker().start()
    worker = brain
    try:
        load = worker.load(model_source, fp16=bool(getattr(args, "fp16", False)), stream=True)
        if not _wait_for_model(worker, load):
            return 1
        think = bool(getattr(args, "think", False))
        system = getattr(args, "system", None)
        sampling = _sampling(args, model_source)
        if interactive:
            print(tr(HELP), file=sys.stderr)
        while True:
            line = _read_line(interactive)
            if line is None:
                break
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                command, _, rest = text.partition(" ")
                if command == "/think":
                    think = not think
                    said = tr("Thinking mode on.") if think else tr("Thinking mode off.")
                    print(said, file=sys.stderr)
                elif command in ("/reset", "/system"):
                    if command == "/system":
                        system = rest.strip() or None
                    reset = worker.submit(ResetConversation(CONVERSATION, system), stream=True)
                    for _ in worker.events_for(reset):
                        pass
                    print(
                        tr("New conversation.")
                        if command == "/reset"
                        else tr("System prompt set."),
                        file=sys.stderr,
                    )
                elif command in ("/quit", "/exit"):
                    break
                else:
                    print(tr(HELP), file=sys.stderr)
                continue
            request = worker.chat(
                CONVERSATION,
                text,
                think=think,
                sampling=sampling,
                max_tokens=args.max_tokens,
                system_prompt=system,
                stream=True,
            )
            _stream_answer(worker, request, screen)
        return 0
    finally:
        worker.shutdown()


def _sampling(args, model_source: str) -> Sampling:
    from .inference.demo import DEMO_SAMPLING

    base = DEMO_SAMPLING if model_source == "demo" else Sampling()
    temperature = base.temperature if args.temperature is None else args.temperature
    return Sampling(temperature=temperature, top_p=base.top_p, seed=args.seed)


def _read_line(interactive: bool) -> str | None:
    while True:
        try:
            return input("you> ") if interactive else _piped_line()
        except EOFError:
            if interactive:
                print(file=sys.stderr)
            return None
        except KeyboardInterrupt:
            # At the prompt Ctrl-C just clears the line, like a shell.
            print(file=sys.stderr)
        except UnicodeDecodeError:  # a stream whose decoder could not be made tolerant
            log.warning("skipped an input line that is not UTF-8")
            print("deskpet: " + tr("skipped a line that is not UTF-8 text"), file=sys.stderr)


def _tolerate_bad_bytes(stream) -> None:
    """Input that is not valid UTF-8 (a pasted binary, a Latin-1 file) reads as U+FFFD
    replacement characters instead of ending the chat."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError):  # a stream that cannot change its decoder
            log.info("stdin keeps its strict decoder")


def _piped_line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def _wait_for_model(worker, load: int) -> bool:
    """Say the load's progress; True once the model is ready (its warm-up goes on meanwhile)."""
    for event in worker.events_for(load):
        if isinstance(event, ModelLoading):
            print(shown(event.message), file=sys.stderr)
        elif isinstance(event, Failed):
            why = _words(event)
            print("deskpet: " + tr("could not load the model: {why}", why=why), file=sys.stderr)
            return False
        elif isinstance(event, ModelReady):
            info = event.info
            if info.get("server"):
                ready = tr("{name} on {server} is ready.", name=info["name"], server=info["server"])
                print(ready, file=sys.stderr)
                return True
            ready = tr(
                "{name} ({quantization}, {dtype}) is ready.",
                name=info["name"],
                quantization=info["quantization"],
                dtype=info["dtype"],
            )
            print(ready, file=sys.stderr)
            return True
    return False  # the worker stopped before the model was ready


def _words(event: Failed) -> str:
    """A model server's failure in the pet's words (what to check), else the message; in the
    owner's language."""
    if event.kind in SERVER_KINDS:
        return tr("{friendly} ({why})", friendly=tr(FRIENDLY[event.kind]), why=event.message)
    return shown(event.message)


def _stream_answer(worker, request: int, screen: _Screen) -> None:
    in_reasoning = False
    events = worker.events_for(request)
    while True:
        try:
            event = next(events)
        except StopIteration:
            return
        except KeyboardInterrupt:  # Ctrl-C stops the answer, not the program
            worker.cancel(request)
            continue
        if isinstance(event, Token):
            ev = event.event
            if ev.channel == "reasoning" and not in_reasoning:
                screen.write(tr("(thinking)") + " ", dim=True)
            in_reasoning = ev.channel == "reasoning"
            screen.write(ev.text, dim=in_reasoning)
        elif isinstance(event, Finished):
            if event.reason == "cancelled":
                screen.write(" " + tr("[stopped]"))
            elif event.reason == "length":
                screen.write(" " + tr("[length limit]"))
            screen.write("\n")
        elif isinstance(event, Failed):
            screen.write("\n" + tr("(deskpet could not answer: {why})", why=_words(event)) + "\n")
