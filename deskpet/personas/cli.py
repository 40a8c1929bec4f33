"""`deskpet persona list | show <id> | import <dir> | train <id> | eval <id>`."""

from __future__ import annotations

import sys
from pathlib import Path

from deskpet.i18n import language, reason, shown, tr
from deskpet.inference.source import add_model_options


def register(sub) -> None:
    persona = sub.add_parser("persona", help="list, inspect, import and train personas")
    actions = persona.add_subparsers(dest="persona_command", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list", help="the personas deskpet can switch to, and their voice with the model"
    )
    add_model_options(listing)
    listing.set_defaults(run=_run_list)

    show = actions.add_parser("show", help="everything about one persona")
    show.add_argument("id")
    show.add_argument(
        "--lang", choices=("en", "zh"), help="the language of its texts (default: deskpet's)"
    )
    show.set_defaults(run=_run_show)

    imp = actions.add_parser("import", help="copy a persona folder into your personas")
    imp.add_argument("folder", help="a folder holding persona.yaml (and maybe an adapter)")
    imp.add_argument("--replace", action="store_true", help="replace your persona with that id")
    add_model_options(imp)
    imp.set_defaults(run=_run_import)

    train = actions.add_parser("train", help="train the persona's LoRA adapter on its data")
    train.add_argument("id")
    train.add_argument("--data", help="training JSONL (default: the persona's train.jsonl)")
    train.add_argument("--valid", help="held-out JSONL (default: the persona's valid.jsonl)")
    train.add_argument("--steps", type=int, default=100)
    train.add_argument("--rank", type=int, default=8)
    train.add_argument("--alpha", type=float, default=16.0)
    train.add_argument(
        "--layers",
        type=int,
        default=None,
        help="adapt only the top N layers (default: all, as OpenBMB's adapters)",
    )
    train.add_argument("--lr", type=float, default=1e-4, help="learning rate (Adam)")
    train.add_argument("--batch", type=int, default=4)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--base-dtype",
        choices=("auto", "quantized", "float32", "float16", "bfloat16"),
        default="auto",
        help="the frozen base while training: its 4-bit weights, or a dense copy in a dtype "
        "(auto: bfloat16 on the CPU, where MLX's 4-bit matmul is slow; quantized on a GPU)",
    )
    train.add_argument(
        "--examples",
        type=int,
        default=None,
        help="train on this many examples drawn by --seed (default: all), revisited each epoch",
    )
    train.add_argument(
        "--fp16", action="store_true", help="save the adapter in float16 (half the size)"
    )
    train.add_argument("--out", help="where to write the adapter (default: see `persona show`)")
    add_model_options(train)
    train.set_defaults(run=_run_train)

    ev = actions.add_parser(
        "eval", help="held-out loss and style score of the persona with and without its adapter"
    )
    ev.add_argument("id")
    ev.add_argument("--adapter", help="the adapter folder (default: the persona's for the model)")
    ev.add_argument("--valid", help="held-out JSONL (default: the persona's valid.jsonl)")
    ev.add_argument("--prompts", type=int, default=8, help="held-out prompts answered (max 64)")
    ev.add_argument("--max-tokens", type=int, default=48, help="tokens per answer (max 256)")
    ev.add_argument(
        "--loss-examples",
        type=int,
        default=None,
        help="held-out conversations scored (default: all)",
    )
    ev.add_argument(
        "--base-dtype",
        choices=("auto", "quantized", "float32", "float16", "bfloat16"),
        default="auto",
        help="the base both sides run on (auto: as `persona train` chooses)",
    )
    ev.add_argument("--show", action="store_true", help="print every answer")
    add_model_options(ev)
    ev.set_defaults(run=_run_eval)


def _manager():
    from .manager import PersonaManager

    return PersonaManager()


def _report_problems(manager) -> None:
    for problem in manager.problems:
        print("deskpet: " + tr("skipped persona: {problem}", problem=problem), file=sys.stderr)


def _run_list(args) -> int:
    manager = _manager()
    _report_problems(manager)
    base, model = _model_base(args)
    print(tr("Voices with {model}:", model=model), file=sys.stderr)
    for p in manager.list():
        print(
            tr(
                "{id} {name} / {name_zh}  [{origin}, {voice}, theme {theme}]  {description}",
                id=f"{p.id:<10}",
                name=p.name.en,
                name_zh=p.name.zh,
                origin=tr("shipped") if p.shipped else tr("yours"),
                voice=p.voice(base).describe(),
                theme=p.theme,
                description=p.description.get(language()),
            )
        )
    return 0


def _model_base(args) -> tuple[str | None, str]:
    """(the known base id or None, how to name the model) for the chosen model, read from its
    config alone (a GGUF's header, never its weights). The demo model is never downloaded for
    this (nor is any other). The name is in the owner's language."""
    from deskpet.inference.bases import identify
    from deskpet.inference.demo import demo_model_path
    from deskpet.inference.load import ModelLoadError, read_config
    from deskpet.inference.model import ModelArgs
    from deskpet.inference.source import DEMO, from_args

    source = from_args(args, say=lambda _line: None)
    path = demo_model_path() if source == DEMO else Path(source).expanduser()
    name = tr("the demo model") if source == DEMO else path.name
    if not path.exists():
        return None, tr("{model} (not downloaded yet)", model=name)
    try:
        base = identify(ModelArgs.from_dict(read_config(path)), path)
    except (ModelLoadError, ValueError) as e:
        why = " ".join(shown(e).split())
        return None, tr("{model} (it cannot be read: {why})", model=name, why=why)
    return base, tr("{model} ({base})", model=name, base=base or tr("no known base model"))


def _run_show(args) -> int:
    from .manager import UnknownPersonaError

    manager = _manager()
    _report_problems(manager)
    try:
        p = manager.get(args.id)
    except UnknownPersonaError:
        print("deskpet: " + tr("no persona {id}", id=repr(args.id)), file=sys.stderr)
        return 1
    s, lang = p.sampling, args.lang or language()
    rows = {
        "id": p.id,
        "name": p.name.get(lang),
        "description": p.description.get(lang),
        "folder": f"{p.folder} ({tr('shipped') if p.shipped else tr('yours')})",
        "theme": p.theme,
        "greeting": p.greeting.get(lang),
        "sampling": f"temperature {s.temperature}, top_p {s.top_p}, "
        f"repetition_penalty {s.repetition_penalty}",
        "thinking": "allowed" if p.thinking else "off",
        "narration": p.narration,
        "adapter": p.adapter or "none (prompt only)",
        "adapters": "; ".join(f"{e.base}: {e.hub.repo if e.hub else e.path}" for e in p.adapters)
        or "none",
        "training data": ", ".join(
            str(f.name) for f in (p.train_file(), p.train_file("valid")) if f.exists()
        )
        or "none",
        "system prompt": p.system_prompt,
    }
    for key, value in rows.items():
        print(f"{key:>14}: {value}")
    return 0


def _base_args(args):
    """The base model's config (no weights) to check an adapter against."""
    from deskpet.inference.load import read_config
    from deskpet.inference.model import ModelArgs
    from deskpet.inference.source import from_args, local_path

    source = local_path(from_args(args))
    return ModelArgs.from_dict(read_config(source)), Path(source).name


def _run_import(args) -> int:
    from .importer import ImportRefused, import_persona
    from .persona import PersonaError, owner_dir

    try:
        target = import_persona(
            Path(args.folder), owner_dir(), replace=args.replace, check=_adapter_check(args)
        )
    except (ImportRefused, PersonaError) as e:
        print("deskpet: " + tr("not imported: {why}", why=e), file=sys.stderr)
        return 1
    print(tr("Imported {id} into {folder}", id=target.name, folder=target))
    return 0


def _adapter_check(args):
    """Checks a copied persona's adapter for the configured base model against its config
    (and its sha256, when the persona gives one); adapters for other bases wait for theirs."""

    def check(persona) -> None:
        from deskpet.inference.bases import identify
        from deskpet.inference.load import ModelLoadError
        from deskpet.inference.lora import AdapterError, check_adapter, verify_sha256

        from .importer import ImportRefused

        if not persona.adapter and not persona.adapters:
            return
        try:
            base, name = _base_args(args)
        except ModelLoadError as e:
            raise ImportRefused(reason(e)) from None
        entry = persona.voice(identify(base, name)).entry
        for other in persona.adapters:
            if other is not entry:
                print(tr("Adapter for {base}: checked when that model is loaded", base=other.base))
        if entry is None:
            print(
                tr(
                    "With {model} this persona speaks with its prompt (it has no adapter for it)",
                    model=name,
                )
            )
            return
        if entry.hub is not None:
            print(
                tr(
                    "Adapter {repo} will be downloaded when you choose the persona",
                    repo=entry.hub.repo,
                )
            )
            return
        try:
            if entry.sha256:
                verify_sha256(Path(entry.path), entry.sha256)
            adapter = check_adapter(entry.path, base)
        except AdapterError as e:
            raise ImportRefused(reason(e)) from None
        print(
            tr(
                "Adapter fits {model}: r={rank}, alpha={alpha:g}, {count} projections, {mb:.1f} MB",
                model=name,
                rank=adapter.rank,
                alpha=adapter.alpha,
                count=len(adapter.pairs),
                mb=adapter.nbytes / 1e6,
            )
        )

    return check


def _base_dtype(choice: str) -> str:
    if choice != "auto":
        return choice
    import mlx.core as mx

    # MAC-CHECK: persona train --demo, --base-dtype auto: 4-bit base on Metal, loss falls
    return "bfloat16" if mx.default_device() == mx.cpu else "quantized"


def _run_train(args) -> int:
    from deskpet.inference.load import ModelLoadError, load
    from deskpet.inference.source import from_args, local_path

    from .manager import UnknownPersonaError
    from .train import TrainingDataError, read_examples, train

    manager = _manager()
    try:
        persona = manager.get(args.id)
        data = read_examples(args.data or persona.train_file())
        valid = read_examples(args.valid or persona.train_file("valid"))
    except (UnknownPersonaError, TrainingDataError) as e:
        print(f"deskpet: {shown(e)}", file=sys.stderr)
        return 1
    try:
        lm = load(local_path(from_args(args)))
    except ModelLoadError as e:
        print(f"deskpet: {shown(e)}", file=sys.stderr)
        return 1
    print(
        f"Training {persona.id} on {lm.source.name}: {len(data)} examples, {args.steps} steps",
        file=sys.stderr,
    )
    try:
        result = train(
            lm,
            persona,
            data,
            valid,
            steps=args.steps,
            rank=args.rank,
            alpha=args.alpha,
            layers=args.layers,
            learning_rate=args.lr,
            batch_size=args.batch,
            seed=args.seed,
            base_dtype=_base_dtype(args.base_dtype),
            save_dtype="float16" if args.fp16 else "float32",
            examples=args.examples,
            out=Path(args.out) if args.out else None,
        )
    except TrainingDataError as e:
        print(f"deskpet: {shown(e)}", file=sys.stderr)
        return 1
    print(
        f"held-out loss {result.valid_loss_before:.4f} -> {result.valid_loss_after:.4f}; "
        f"adapter ({result.parameters:,} parameters) saved in {result.adapter_dir}"
    )
    return 0


def _run_eval(args) -> int:
    from deskpet.inference.load import ModelLoadError, load
    from deskpet.inference.lora import AdapterError
    from deskpet.inference.source import DEMO, from_args, local_path

    from .eval import DEMO_BASE, adapter_for, evaluate
    from .manager import UnknownPersonaError
    from .train import TrainingDataError, read_examples

    try:
        persona = _manager().get(args.id)
        valid = read_examples(args.valid or persona.train_file("valid"))
    except (UnknownPersonaError, TrainingDataError) as e:
        print(f"deskpet: {shown(e)}", file=sys.stderr)
        return 1
    source = from_args(args)
    adapter = args.adapter or adapter_for(persona, DEMO_BASE if source == DEMO else None)
    if not adapter:
        print(f"deskpet: {persona.id} has no adapter for this model (--adapter)", file=sys.stderr)
        return 1
    if not persona.marks:
        print(f"deskpet: {persona.id} declares no marks in persona.yaml", file=sys.stderr)
        return 1
    try:
        lm = load(local_path(source))
        result = evaluate(
            lm,
            persona,
            adapter,
            valid,
            list(persona.marks),
            prompts=max(1, min(args.prompts, 64)),
            max_tokens=max(1, min(args.max_tokens, 256)),
            base_dtype=_base_dtype(args.base_dtype),
            loss_examples=max(1, args.loss_examples) if args.loss_examples else None,
            progress=(lambda text: print(text, file=sys.stderr)) if args.show else (lambda _t: 0),
        )
    except (ModelLoadError, AdapterError) as e:
        print(f"deskpet: {shown(e)}", file=sys.stderr)
        return 1
    w, a = result.without, result.adapter
    base = _base_dtype(args.base_dtype)
    print(
        f"deskpet persona eval {persona.id} on {lm.source.name} "
        f"({'4-bit' if base == 'quantized' else 'dense ' + base} base), adapter {adapter}"
    )
    print(f"marks: {', '.join(persona.marks)}")
    print(f"{'':<14}{'prompt only':>12}{'adapter':>10}")
    print(f"{'held-out loss':<14}{w.loss:>12.4f}{a.loss:>10.4f}   ({result.loss_tokens} tokens)")
    print(
        f"{'style score':<14}{w.style:>12.0%}{a.style:>10.0%}   "
        f"({result.prompts} greedy answers each)"
    )
    print(f"({result.seconds:.0f} s)")
    return 0
