"""`deskpet chat`: a terminal chat on the same InferenceWorker the pet uses.

Streams answers, shows reasoning dimmed, `/think` toggles thinking, `/reset` starts over,
`/system TEXT` sets the system prompt. Ctrl-C stops the answer (not the program), Ctrl-D quits.
With piped input it answers each line in turn and exits at the end of input.
"""

from __future__ import annotations

import queue
import sys

from .inference.generate import Sampling
from .inference.worker import (
    ConversationReset,
    Failed,
    Finished,
    InferenceWorker,
    ModelLoading,
    ModelReady,
    ResetConversation,
    Token,
)

CONVERSATION = "terminal"
HELP = "Commands: /think  /reset  /system TEXT  /help   (Ctrl-C stops an answer, Ctrl-D quits)"


class _Screen:
    def __init__(self, out=sys.stdout):
        self.out = out
        self.tty = out.isatty()

    def write(self, text: str, dim: bool = False) -> None:
        if dim and self.tty:
            text = f"\x1b[2m{text}\x1b[0m"
        self.out.write(text)
        self.out.flush()


def run_terminal_chat(args, model_source: str) -> int:
    screen = _Screen()
    interactive = sys.stdin.isatty()
    worker = InferenceWorker().start()
    try:
        worker.load(model_source, fp16=bool(getattr(args, "fp16", False)))
        if not _wait_for_model(worker):
            return 1
        think = bool(getattr(args, "think", False))
        system = getattr(args, "system", None)
        sampling = _sampling(args, model_source)
        if interactive:
            print(HELP, file=sys.stderr)
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
                    print(f"Thinking mode {'on' if think else 'off'}.", file=sys.stderr)
                elif command in ("/reset", "/system"):
                    if command == "/system":
                        system = rest.strip() or None
                    worker.submit(ResetConversation(CONVERSATION, system))
                    _wait(worker, (ConversationReset, Failed))
                    print(
                        "New conversation." if command == "/reset" else "System prompt set.",
                        file=sys.stderr,
                    )
                elif command in ("/quit", "/exit"):
                    break
                else:
                    print(HELP, file=sys.stderr)
                continue
            request = worker.chat(
                CONVERSATION,
                text,
                think=think,
                sampling=sampling,
                max_tokens=args.max_tokens,
                system_prompt=system,
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


def _piped_line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def _wait_for_model(worker: InferenceWorker) -> bool:
    event = _wait(worker, (ModelReady, Failed), show_progress=True)
    if isinstance(event, Failed):
        print(f"deskpet: could not load the model: {event.message}", file=sys.stderr)
        return False
    info = event.info
    print(f"{info['name']} ({info['quantization']}, {info['dtype']}) is ready.", file=sys.stderr)
    return True


def _wait(worker: InferenceWorker, kinds, show_progress: bool = False):
    while True:
        try:
            event = worker.events.get(timeout=0.1)
        except queue.Empty:
            continue
        if show_progress and isinstance(event, ModelLoading):
            print(event.message, file=sys.stderr)
        if isinstance(event, kinds):
            return event


def _stream_answer(worker: InferenceWorker, request: int, screen: _Screen) -> None:
    in_reasoning = False
    while True:
        try:
            event = worker.events.get(timeout=0.05)
        except queue.Empty:
            continue
        except KeyboardInterrupt:
            worker.cancel(request)
            continue
        if isinstance(event, Token) and event.request_id == request:
            ev = event.event
            if ev.channel == "reasoning" and not in_reasoning:
                screen.write("(thinking) ", dim=True)
            in_reasoning = ev.channel == "reasoning"
            screen.write(ev.text, dim=in_reasoning)
        elif isinstance(event, Finished) and event.request_id == request:
            if event.reason == "cancelled":
                screen.write(" [stopped]")
            elif event.reason == "length":
                screen.write(" [length limit]")
            screen.write("\n")
            return
        elif isinstance(event, Failed) and event.request_id == request:
            screen.write(f"\n(deskpet could not answer: {event.message})\n")
            return
