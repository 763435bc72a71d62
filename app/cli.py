"""The `attnscope` command: train, translate, analyze, serve.

Every user-facing failure ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_MODEL = "tatoeba-en-fr"


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def _model_folder(name_or_path: str) -> Path:
    """A folder path as given, or a name under the models folder (ATTNSCOPE_MODELS_DIR)."""
    from app.web.settings import get_settings

    path = Path(name_or_path)
    return path if path.is_dir() or "/" in name_or_path else get_settings().models_dir / name_or_path


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return number


def cmd_train(args: argparse.Namespace) -> int:
    from app.training.loop import TrainOptions, train

    if not args.data.is_file():
        raise CliError(f"data file not found: {args.data}")
    options = TrainOptions(
        data=args.data,
        out=args.out,
        epochs=args.epochs,
        seed=args.seed,
        resume=args.resume,
        vocab_size=args.vocab_size,
        d_model=args.d_model,
        n_heads=args.heads,
        n_layers=args.layers,
        d_ff=args.d_ff,
        dropout=args.dropout,
        max_tokens=args.max_tokens,
        warmup=args.warmup,
        lr_factor=args.lr_factor,
        device=args.device,
        progress_bar=not args.no_progress,
    )
    try:
        train(options)
    except ValueError as error:
        raise CliError(str(error)) from error
    return 0


def _load(name: str, device: str | None = None):  # type: ignore[no-untyped-def]
    from app.transformer.checkpoint import ModelLoadError, load_model, pick_device

    try:
        return load_model(_model_folder(name), pick_device(device))
    except ModelLoadError as error:
        raise CliError(str(error)) from error


def cmd_translate(args: argparse.Namespace) -> int:
    from app.transformer.translate import translate_texts

    if args.input is not None:
        try:
            lines = args.input.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise CliError(f"cannot read {args.input}: {error}") from error
    elif args.text is not None:
        if not args.text.strip():
            raise CliError("nothing to translate: the text is empty")
        lines = [args.text]
    else:
        raise CliError('give a sentence, e.g. attnscope translate "I am cold.", or --input FILE')
    loaded = _load(args.model, args.device)
    keep = [i for i, line in enumerate(lines) if line.strip()]
    outputs = translate_texts(loaded.model, loaded.tokenizer, [lines[i] for i in keep], beam_size=args.beam)
    results = [""] * len(lines)
    for index, text in zip(keep, outputs, strict=True):
        results[index] = text
    sys.stdout.write("".join(r + "\n" for r in results))
    return 0


def _web_settings(model: str, device: str | None):  # type: ignore[no-untyped-def]
    from app.web.settings import Settings

    folder = _model_folder(model)
    return Settings(models_dir=folder.parent, default_model=folder.name, device=device or "auto")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.transformer.checkpoint import ModelLoadError
    from app.web.main import create_app, load_models

    settings = _web_settings(args.model, args.device)
    try:
        models = load_models(settings)
    except ModelLoadError as error:
        raise CliError(str(error)) from error
    print(f"attnscope: serving {settings.default_model} on http://{args.host}:{args.port}", file=sys.stderr)
    uvicorn.run(create_app(settings, models), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    import json

    from app.capture.export import rounded, trace_to_npz
    from app.capture.run import capture_trace
    from app.web.errors import ClientError
    from app.web.schemas import AnalyzeResponse, TraceSummary
    from app.web.service import ModelService, TraceRequest

    if not args.text.strip():
        raise CliError("text is empty: type a sentence to translate")
    settings = _web_settings(args.model, args.device)
    service = ModelService(settings, {settings.default_model: _load(args.model, args.device)})
    request = TraceRequest(args.text, None, args.beam, args.max_length)
    try:
        loaded = service.validate(request)  # the same limits and messages as the API
    except ClientError as error:
        raise CliError(error.message) from error
    trace = capture_trace(loaded, args.text, args.beam, args.max_length)
    if args.out is not None:
        try:
            args.out.write_bytes(trace_to_npz(trace))
        except OSError as error:
            raise CliError(f"cannot write {args.out}: {error.strerror}") from error
    if args.json:
        attention = {kind: rounded(t.weights) for kind, t in trace.attention.items()}
        payload = AnalyzeResponse(**TraceSummary.of(trace), attention=attention)
        sys.stdout.write(json.dumps(payload.model_dump(mode="json"), ensure_ascii=False) + "\n")
        return 0
    print(trace.translation)
    print("source: " + " ".join(trace.source.display))
    print("output: " + " ".join(f"{s.token}({s.probability:.2f})" for s in trace.steps))
    if args.out is not None:
        print(f"trace saved to {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attnscope", description=__doc__.splitlines()[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="command", required=True)

    tr = sub.add_parser("train", help="train a model on a source<TAB>target corpus")
    tr.add_argument("--data", type=Path, required=True)
    tr.add_argument("--out", type=Path, required=True, help="output folder, e.g. models/NAME")
    tr.add_argument("--epochs", type=_positive, default=12)
    tr.add_argument("--seed", type=int, default=1)
    tr.add_argument("--resume", action="store_true", help="continue from the folder's last saved epoch")
    tr.add_argument("--vocab-size", type=_positive, default=8000)
    tr.add_argument("--d-model", type=_positive, default=256)
    tr.add_argument("--heads", type=_positive, default=8)
    tr.add_argument("--layers", type=_positive, default=3)
    tr.add_argument("--d-ff", type=_positive, default=1024)
    tr.add_argument("--dropout", type=float, default=0.1)
    tr.add_argument("--max-tokens", type=_positive, default=2500, help="padded tokens per batch")
    tr.add_argument("--warmup", type=_positive, default=1500)
    tr.add_argument("--lr-factor", type=float, default=1.0)
    tr.add_argument("--device", default=None, help="cpu, cuda or auto (default)")
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")
    tr.set_defaults(func=cmd_train)

    tl = sub.add_parser("translate", help="translate English to French")
    tl.add_argument("text", nargs="?", help="the sentence to translate")
    tl.add_argument("--input", type=Path, help="a file of sentences, one per line")
    tl.add_argument("--beam", type=_positive, default=1, help="beam size (1 = greedy)")
    tl.add_argument("--model", default=DEFAULT_MODEL, help="model name under models/ or a folder")
    tl.add_argument("--device", default=None)
    tl.set_defaults(func=cmd_translate)

    sv = sub.add_parser("serve", help="start the web app and JSON API")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--model", default=DEFAULT_MODEL, help="model name under models/ or a folder")
    sv.add_argument("--device", default=None)
    sv.set_defaults(func=cmd_serve)

    an = sub.add_parser("analyze", help="translate one sentence and print or save its trace")
    an.add_argument("text")
    an.add_argument("--json", action="store_true", help="print the same object as POST /api/analyze")
    an.add_argument("--out", type=Path, help="save the full trace as a NumPy .npz archive")
    an.add_argument("--beam", type=_positive, default=1)
    an.add_argument("--max-length", type=_positive, default=None)
    an.add_argument("--model", default=DEFAULT_MODEL, help="model name under models/ or a folder")
    an.add_argument("--device", default=None)
    an.set_defaults(func=cmd_analyze)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CliError as error:
        print(f"attnscope: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("attnscope: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
