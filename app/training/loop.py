"""`attnscope train`: tokenizer, model, epochs with the paper's schedule, resumable, then evaluation."""

from __future__ import annotations

import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from app.training.batching import Batch, Example, make_batches
from app.training.data import Pair, read_pairs, sha256_of, split_by_source
from app.training.evaluate import evaluate
from app.training.model_card import write_model_card
from app.training.schedule import inverse_sqrt_lr, label_smoothed_loss
from app.training.state import Progress, has_state, load_state, save_state
from app.transformer.checkpoint import (
    CONFIG_FILE,
    METRICS_FILE,
    TOKENIZER_FILE,
    load_model,
    pick_device,
    save_model,
)
from app.transformer.config import ModelConfig
from app.transformer.model import Transformer
from app.transformer.tokenizer import SubwordTokenizer


@dataclass(frozen=True)
class TrainOptions:
    data: Path
    out: Path
    epochs: int = 12
    seed: int = 1
    resume: bool = False
    vocab_size: int = 8000
    d_model: int = 256
    n_heads: int = 8
    n_layers: int = 3
    d_ff: int = 1024
    dropout: float = 0.1
    max_tokens: int = 2500
    warmup: int = 1500
    lr_factor: float = 1.0
    label_smoothing: float = 0.1
    dev_fraction: float = 0.03
    device: str | None = None
    progress_bar: bool = True


def _examples(pairs: list[Pair], tokenizer: SubwordTokenizer, config: ModelConfig) -> list[Example]:
    """Encode both sides; drop pairs too long for the positional table."""
    src = tokenizer.encode_batch([p.source for p in pairs])
    tgt = tokenizer.encode_batch([p.target for p in pairs])
    limit = config.max_len - 2
    return [
        Example([*s, config.eos_id], [config.bos_id, *t, config.eos_id])
        for s, t in zip(src, tgt, strict=True)
        if len(s) <= limit and len(t) <= limit
    ]


@torch.no_grad()
def _dev_loss(model: Transformer, batches: list[Batch], device: torch.device) -> float:
    model.eval()
    total, tokens = 0.0, 0
    for b in batches:
        logits = model(b.src.to(device), b.tgt_in.to(device))
        total += float(label_smoothed_loss(logits, b.tgt_out.to(device), model.config.pad_id, 0.0))
        tokens += b.n_tokens
    return total / max(tokens, 1)


def _prepare(options: TrainOptions, train_pairs: list[Pair]) -> tuple[SubwordTokenizer, ModelConfig]:
    """Reuse the folder's tokenizer and config on resume, so ids and shapes stay the same."""
    out = options.out
    if options.resume and (out / TOKENIZER_FILE).is_file() and (out / CONFIG_FILE).is_file():
        return SubwordTokenizer.load(out / TOKENIZER_FILE), ModelConfig.load(out / CONFIG_FILE)
    texts = [p.source for p in train_pairs] + [p.target for p in train_pairs]
    tokenizer = SubwordTokenizer.train(texts, options.vocab_size)
    config = ModelConfig(
        vocab_size=tokenizer.vocab_size,
        d_model=options.d_model,
        n_heads=options.n_heads,
        n_encoder_layers=options.n_layers,
        n_decoder_layers=options.n_layers,
        d_ff=options.d_ff,
        dropout=options.dropout,
    )
    return tokenizer, config


def train(options: TrainOptions) -> dict[str, object]:
    """Runs (or resumes) training and writes every artifact into `options.out`; returns the metrics."""
    random.seed(options.seed)
    torch.manual_seed(options.seed)
    device = pick_device(options.device)
    pairs = read_pairs(options.data)
    split = split_by_source(pairs, options.dev_fraction)
    tokenizer, config = _prepare(options, split.train)
    model = Transformer(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.0, betas=(0.9, 0.98), eps=1e-9)
    progress = Progress()
    if options.resume and has_state(options.out):
        progress = load_state(options.out, model, optimizer)
        print(f"resuming after epoch {progress.epoch} (step {progress.step})", file=sys.stderr)
    elif options.resume:
        print(f"nothing to resume in {options.out}; starting fresh", file=sys.stderr)
    options.out.mkdir(parents=True, exist_ok=True)

    train_examples = _examples(split.train, tokenizer, config)
    dev_pairs = [Pair(d.source, r) for d in split.dev for r in d.references]
    dev_batches = make_batches(_examples(dev_pairs, tokenizer, config), options.max_tokens, config.pad_id, 0)
    print(
        f"{len(train_examples)} training pairs, {len(split.dev)} dev sentences, "
        f"{model.num_parameters():,} parameters on {device}",
        file=sys.stderr,
    )

    for epoch in range(progress.epoch, options.epochs):
        model.train()
        started = time.perf_counter()
        batches = make_batches(train_examples, options.max_tokens, config.pad_id, options.seed + epoch)
        bar = tqdm(
            batches,
            desc=f"epoch {epoch + 1}/{options.epochs}",
            disable=not options.progress_bar,
            file=sys.stderr,
        )
        loss_sum, token_sum = 0.0, 0
        for batch in bar:
            progress.step += 1
            for group in optimizer.param_groups:
                group["lr"] = inverse_sqrt_lr(
                    progress.step, config.d_model, options.warmup, options.lr_factor
                )
            logits = model(batch.src.to(device), batch.tgt_in.to(device))  # (B, T, V)
            loss = label_smoothed_loss(
                logits, batch.tgt_out.to(device), config.pad_id, options.label_smoothing
            )
            optimizer.zero_grad(set_to_none=True)
            (loss / batch.n_tokens).backward()
            optimizer.step()
            loss_sum += float(loss.detach())
            token_sum += batch.n_tokens
            elapsed = time.perf_counter() - started
            bar.set_postfix(loss=f"{loss_sum / token_sum:.3f}", tok_s=f"{token_sum / max(elapsed, 1e-9):.0f}")
        bar.close()
        progress.seconds += time.perf_counter() - started
        progress.epoch = epoch + 1
        dev_loss = _dev_loss(model, dev_batches, device)
        progress.history.append(
            {
                "epoch": progress.epoch,
                "train_loss": round(loss_sum / max(token_sum, 1), 4),
                "dev_loss": round(dev_loss, 4),
            }
        )
        print(
            f"epoch {progress.epoch}: train loss {loss_sum / max(token_sum, 1):.3f}, "
            f"dev loss {dev_loss:.3f} (ppl {math.exp(min(dev_loss, 50)):.2f})",
            file=sys.stderr,
        )
        save_model(model, tokenizer, options.out)
        save_state(options.out, model, optimizer, progress)

    # Score the weights exactly as shipped (float16 on disk), not the float32 copy in memory.
    shipped = load_model(options.out, device)
    scores = evaluate(shipped.model, shipped.tokenizer, split.dev)
    metrics: dict[str, object] = {
        "dev_bleu": scores.bleu,
        "dev_chrf": scores.chrf,
        "dev_loss": progress.history[-1]["dev_loss"] if progress.history else None,
        "bleu_signature": scores.signature_bleu,
        "chrf_signature": scores.signature_chrf,
        "decoding": "greedy",
        "parameters": shipped.model.num_parameters(),
        "epochs": progress.epoch,
        "steps": progress.step,
        "training_seconds": round(progress.seconds, 1),
        "train_pairs": len(train_examples),
        "dev_sentences": len(split.dev),
        "data_file": options.data.name,
        "data_sha256": sha256_of(options.data),
        "seed": options.seed,
        "device": str(device),
        "options": {
            k: v for k, v in asdict(options).items() if k not in {"data", "out", "progress_bar", "device"}
        },
        "history": progress.history,
    }
    (options.out / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_model_card(options.out, config, metrics, scores.samples)
    print(f"dev BLEU {scores.bleu}, chrF {scores.chrf}", file=sys.stderr)
    return metrics
