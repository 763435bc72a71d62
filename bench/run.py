"""Benchmark attnscope: what full capture costs over plain translation, and how fast the API answers.

Measures, in one run and on the same sentences:
  (a) plain greedy translation vs translation with full capture, interleaved call by call so
      both see the same machine conditions (target: capture ≤ 1.15 × plain);
  (b) POST /api/analyze latency through a real uvicorn server, with a cold trace cache;
  (c) GET /api/attention latency per head once the trace is cached;
  (d) response sizes.
and writes a Markdown table with the date, machine and commit.

    python bench/run.py                       # the shipped model, results in bench/RESULTS.md
    python bench/run.py --quick --model /tmp/some-model --results /tmp/RESULTS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import torch
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout that is not pip-installed
    sys.path.insert(0, str(ROOT))

from app.capture.run import capture_trace  # noqa: E402
from app.transformer.checkpoint import LoadedModel, ModelLoadError, load_model, pick_device  # noqa: E402
from app.transformer.translate import translate_texts  # noqa: E402
from app.web.main import create_app  # noqa: E402
from app.web.settings import Settings  # noqa: E402

OVERHEAD_TARGET = 1.15
LONG_TOKENS = 100
SHORT_TOKEN_LIMIT = 10

# Everyday sentences written for this benchmark (not taken from any corpus), so the model
# has not seen them in training.
SHORT_SENTENCES = (
    "I am cold.",
    "Where is the bus stop?",
    "She reads every night.",
    "Can you open the window?",
    "We are late again.",
    "The soup is too hot.",
    "My phone is dead.",
    "He forgot his umbrella.",
    "Let's meet after lunch.",
    "The shop closes at six.",
    "I lost my keys.",
    "It might rain tomorrow.",
)


@dataclass
class Config:
    """How many measurements to take; --quick trades precision for a run of a few seconds."""

    overhead_rounds: int
    short_count: int
    long_count: int
    api_rounds: int
    attention_rounds: int
    warmup: int = 2


FULL = Config(
    overhead_rounds=5, short_count=len(SHORT_SENTENCES), long_count=4, api_rounds=3, attention_rounds=3
)
QUICK = Config(overhead_rounds=1, short_count=4, long_count=2, api_rounds=1, attention_rounds=1, warmup=1)


@dataclass
class Results:
    overhead: list[dict[str, Any]] = field(default_factory=list)
    analyze: list[dict[str, Any]] = field(default_factory=list)
    attention: list[dict[str, Any]] = field(default_factory=list)
    sizes: list[dict[str, Any]] = field(default_factory=list)


# --- inputs -----------------------------------------------------------------------------------


def token_count(loaded: LoadedModel, text: str) -> int:
    """Source length as the model sees it, </s> included."""
    return len(loaded.tokenizer.encode(text).ids) + 1


def long_texts(loaded: LoadedModel, count: int, target: int = LONG_TOKENS) -> list[str]:
    """`count` different texts of about `target` tokens: the short sentences joined, word by word.

    Each starts at a different sentence so no two share a cache key or a prefix.
    """
    sentence_words = [sentence.split() for sentence in SHORT_SENTENCES]
    starts = list(itertools.accumulate((len(words) for words in sentence_words), initial=0))
    words = [word for sentence in sentence_words for word in sentence]
    texts = []
    for index in range(count):
        start = starts[index % len(SHORT_SENTENCES)]
        rotated = words[start:] + words[:start]
        picked: list[str] = []
        for word in itertools.islice(itertools.cycle(rotated), 10 * target):
            picked.append(word)
            if token_count(loaded, " ".join(picked)) >= target:
                break
        texts.append(" ".join(picked))
    return texts


# --- statistics and machine -------------------------------------------------------------------


def ms(seconds: float) -> float:
    return round(1000.0 * seconds, 2)


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds (linear interpolation; with few samples p95 is near the max)."""
    return {"p50_ms": ms(float(np.percentile(samples, 50))), "p95_ms": ms(float(np.percentile(samples, 95)))}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "app"], cwd=ROOT, capture_output=True, text=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return result.stdout.strip() + (" (app/ has uncommitted changes)" if dirty.stdout.strip() else "")


def machine() -> dict[str, str]:
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count()),
        "torch": torch.__version__,
        "torch threads": str(torch.get_num_threads()),
        "python": platform.python_version(),
        "load average at start (1 min)": f"{os.getloadavg()[0]:.2f}",
    }


# --- (a) capture overhead ---------------------------------------------------------------------


def time_call(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def bench_overhead(loaded: LoadedModel, groups: dict[str, list[str]], cfg: Config) -> list[dict[str, Any]]:
    """Plain vs captured translation of each sentence, alternating which goes first."""

    def plain(text: str) -> None:
        translate_texts(loaded.model, loaded.tokenizer, [text], beam_size=1)

    def captured(text: str) -> None:
        capture_trace(loaded, text, beam_size=1)

    everything = [text for texts in groups.values() for text in texts]
    for text in everything[: cfg.warmup]:
        plain(text)
        captured(text)

    rng = random.Random(0)
    times: dict[str, dict[str, list[float]]] = {g: {"plain": [], "capture": []} for g in groups}
    for round_index in range(cfg.overhead_rounds):
        order = [(group, text) for group, texts in groups.items() for text in texts]
        rng.shuffle(order)
        for call_index, (group, text) in enumerate(order):
            pair = [("plain", plain), ("capture", captured)]
            if (round_index + call_index) % 2:
                pair.reverse()
            for name, func in pair:
                times[group][name].append(time_call(partial(func, text)))

    def series(group: str, name: str) -> list[float]:
        members = list(groups) if group == "all" else [group]
        return [t for g in members for t in times[g][name]]

    rows = []
    for group in [*groups, "all"]:
        plain_t, capture_t = series(group, "plain"), series(group, "capture")
        ratio = float(np.median(capture_t) / np.median(plain_t))
        paired = float(np.median(np.array(capture_t) / np.array(plain_t)))
        rows.append(
            {
                "inputs": group,
                "calls": len(plain_t),
                "plain_median_ms": ms(float(np.median(plain_t))),
                "capture_median_ms": ms(float(np.median(capture_t))),
                "ratio": round(ratio, 3),
                "paired_ratio": round(paired, 3),
                "meets_target": ratio <= OVERHEAD_TARGET,
            }
        )
    return rows


# --- (b), (c), (d) through a real server ------------------------------------------------------


@contextmanager
def running_server(loaded: LoadedModel) -> Iterator[tuple[str, Any]]:
    """Serve `loaded` with uvicorn on a free 127.0.0.1 port in a thread; always shut it down."""
    settings = Settings(models_dir=loaded.path.parent, default_model=loaded.name)
    app = create_app(settings, {loaded.name: loaded})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port; uvicorn serves on this very socket
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="bench-uvicorn", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the uvicorn server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()
        if thread.is_alive():
            print("bench: warning: the uvicorn thread did not stop", file=sys.stderr)


def post_analyze(client: httpx.Client, text: str) -> httpx.Response:
    response = client.post("/api/analyze", json={"text": text})
    response.raise_for_status()
    return response


def bench_api(loaded: LoadedModel, groups: dict[str, list[str]], cfg: Config, results: Results) -> None:
    with running_server(loaded) as (base_url, app), httpx.Client(base_url=base_url, timeout=300) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        cache = app.state.service.cache
        for text in groups["short"][: cfg.warmup]:
            post_analyze(client, text)

        # (b) cold: the cache is emptied before every request, so each one runs the model.
        for group, texts in groups.items():
            latencies = []
            for _ in range(cfg.api_rounds):
                for text in texts:
                    cache.clear()
                    start = time.perf_counter()
                    post_analyze(client, text)
                    latencies.append(time.perf_counter() - start)
            tokens = [token_count(loaded, t) for t in texts]
            results.analyze.append(
                {
                    "inputs": group,
                    "source_tokens": f"{min(tokens)}–{max(tokens)}",
                    "requests": len(latencies),
                    **percentiles(latencies),
                }
            )

        # (c) warm: one trace per group, then every (kind, layer, head) from the cache.
        c = loaded.config
        layers = {"encoder": c.n_encoder_layers, "decoder": c.n_decoder_layers, "cross": c.n_decoder_layers}
        heads = [(k, layer, h) for k, n in layers.items() for layer in range(n) for h in range(c.n_heads)]
        for group, texts in groups.items():
            text = texts[0]
            post_analyze(client, text)  # warms the cache
            latencies = []
            for _ in range(cfg.attention_rounds):
                for kind, layer, head in heads:
                    params = {"text": text, "kind": kind, "layer": layer, "head": head}
                    start = time.perf_counter()
                    client.get("/api/attention", params=params).raise_for_status()
                    latencies.append(time.perf_counter() - start)
            results.attention.append({"inputs": group, "requests": len(latencies), **percentiles(latencies)})

            # (d) sizes of what a page load fetches, for the same text.
            summary = client.get("/api/summary", params={"text": text})
            cross = client.get(
                "/api/attention", params={"text": text, "kind": "cross", "layer": 0, "head": 0}
            )
            analyzed = post_analyze(client, text)
            for endpoint, response in (
                ("POST /api/analyze", analyzed),
                ("GET /api/attention (one cross head)", cross),
                ("GET /api/summary", summary),
            ):
                results.sizes.append(
                    {
                        "response": endpoint,
                        "inputs": group,
                        "tokens": token_count(loaded, text),
                        "bytes": len(response.content),
                    }
                )


# --- report -----------------------------------------------------------------------------------


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    head = "| " + " | ".join(title for _, title in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(str(row[key]) for key, _ in columns) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def busy_note(info: dict[str, str]) -> list[str]:
    """Timings taken while something else loads the CPU are not comparable; say so in the file."""
    load, cores = float(info["load average at start (1 min)"]), os.cpu_count() or 1
    if load <= 0.5 * cores:
        return []
    return [
        f"- **note: the machine was busy (load {load:.1f} on {cores} cores); timings are not representative**"
    ]


def report(
    loaded: LoadedModel, results: Results, args: argparse.Namespace, info: dict[str, str], seconds: float
) -> str:
    c = loaded.config
    for row in results.overhead:
        row["verdict"] = "yes" if row["meets_target"] else "**no**"
    lines = [
        "# attnscope benchmark",
        "",
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- commit: {git_commit()}",
        *[f"- {key}: {value}" for key, value in info.items()],
        f"- load average at end (1 min): {os.getloadavg()[0]:.2f}",
        f"- model: `{loaded.name}` on {loaded.device}: d_model {c.d_model}, {c.n_heads} heads, "
        f"{c.n_encoder_layers}+{c.n_decoder_layers} layers, {loaded.model.num_parameters():,} parameters",
        f"- mode: {'quick' if args.quick else 'full'}; run took {seconds:.0f} s",
        *busy_note(info),
        f"- command: `{' '.join(['python bench/run.py', *sys.argv[1:]])}`",
        "",
        f"## (a) Capture overhead (target ≤ {OVERHEAD_TARGET})",
        "",
        "Greedy `translate_texts` one sentence at a time vs `capture_trace` (greedy decoding with every",
        "internal recorded, then turned into NumPy arrays and decoding steps), alternated call by call.",
        "`ratio` = median capture / median plain;",
        "`paired` = median of the per-call ratios.",
        "",
        table(
            results.overhead,
            [
                ("inputs", "inputs"),
                ("calls", "calls each"),
                ("plain_median_ms", "plain median (ms)"),
                ("capture_median_ms", "capture median (ms)"),
                ("ratio", "ratio"),
                ("paired_ratio", "paired"),
                ("verdict", "≤ target"),
            ],
        ),
        "",
        "## (b) POST /api/analyze, cold cache",
        "",
        "Through uvicorn on 127.0.0.1 with httpx; the trace cache is cleared before every request,",
        "so each one decodes and captures. Short inputs are everyday sentences meant to be",
        f"≤ {SHORT_TOKEN_LIMIT} tokens; long ones join them to about {LONG_TOKENS}. Counts include </s>.",
        "",
        table(
            results.analyze,
            [
                ("inputs", "inputs"),
                ("source_tokens", "source tokens"),
                ("requests", "requests"),
                ("p50_ms", "p50 (ms)"),
                ("p95_ms", "p95 (ms)"),
            ],
        ),
        "",
        "## (c) GET /api/attention, one head, warm cache",
        "",
        table(
            results.attention,
            [("inputs", "inputs"), ("requests", "requests"), ("p50_ms", "p50 (ms)"), ("p95_ms", "p95 (ms)")],
        ),
        "",
        "## (d) Response sizes (uncompressed body)",
        "",
        table(
            results.sizes,
            [("response", "response"), ("inputs", "inputs"), ("tokens", "source tokens"), ("bytes", "bytes")],
        ),
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "tatoeba-en-fr", help="model folder")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md", help="Markdown output")
    parser.add_argument("--quick", action="store_true", help="fewer sentences and repeats (a smoke run)")
    parser.add_argument("--device", default=None, help="cpu, cuda or auto (default)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = QUICK if args.quick else FULL
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        loaded = load_model(args.model, pick_device(args.device))
    except ModelLoadError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    info = machine()
    started = time.perf_counter()
    groups = {"short": list(SHORT_SENTENCES[: cfg.short_count]), "long": long_texts(loaded, cfg.long_count)}
    too_long = [t for t in groups["short"] if token_count(loaded, t) > SHORT_TOKEN_LIMIT]
    if too_long:
        print(
            f"bench: note: {len(too_long)} short sentences exceed {SHORT_TOKEN_LIMIT} tokens here",
            file=sys.stderr,
        )

    results = Results()
    print("bench: (a) capture overhead ...", file=sys.stderr)
    results.overhead = bench_overhead(loaded, groups, cfg)
    print("bench: (b)-(d) API through uvicorn ...", file=sys.stderr)
    bench_api(loaded, groups, cfg, results)

    text = report(loaded, results, args, info, time.perf_counter() - started)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    print(text)
    print(f"bench: wrote {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
