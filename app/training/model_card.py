"""The model card written beside every trained model (README.md in the model folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.transformer.config import ModelConfig

_ATTRIBUTION = (
    "Sentence pairs from the Tatoeba Project (tatoeba.org), CC-BY 2.0 FR "
    "(https://creativecommons.org/licenses/by/2.0/fr/)."
)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def write_model_card(
    folder: Path, config: ModelConfig, metrics: dict[str, Any], samples: list[tuple[str, str]]
) -> None:
    rows = "\n".join(f"| {_cell(src)} | {_cell(hyp)} |" for src, hyp in samples)
    opts = metrics.get("options", {})
    text = f"""# {folder.name}

A small encoder–decoder Transformer (English → French) trained from scratch by
`attnscope train`, shipped so that attnscope can show what each of its
attention heads does. It is a teaching and inspection model, not a production
translator.

## Data and attribution
{_ATTRIBUTION}

Trained on `{metrics.get("data_file")}` (sha256 `{metrics.get("data_sha256")}`): short
sentence pairs, **English sentences of at most 9 words** (French at most 14). The
corpus was split by English sentence: {metrics.get("dev_sentences")} held-out English
sentences form the dev set, every French translation of each being a reference;
{metrics.get("train_pairs")} pairs were used for training. No-break spaces before
French punctuation were normalised to plain spaces on both sides.

## Model
| | |
|---|---|
| layers | {config.n_encoder_layers} encoder + {config.n_decoder_layers} decoder |
| d_model / heads / d_ff | {config.d_model} / {config.n_heads} / {config.d_ff} |
| vocabulary | {config.vocab_size} shared BPE subwords, tied embeddings |
| positional encoding | sinusoidal, max {config.max_len} positions |
| parameters | {metrics.get("parameters"):,} |
| weights | `model.safetensors`, float16 |

## Results (dev set, greedy decoding, detokenised, sacrebleu)
| metric | value |
|---|---|
| BLEU | {metrics.get("dev_bleu")} |
| chrF | {metrics.get("dev_chrf")} |
| dev loss (per token) | {metrics.get("dev_loss")} |
| epochs / steps | {metrics.get("epochs")} / {metrics.get("steps")} |
| training time | {metrics.get("training_seconds")} s on {metrics.get("device")} |

BLEU signature: `{metrics.get("bleu_signature")}`

Sample dev translations:

| English | model output |
|---|---|
{rows}

## Intended use
Seeing attention: students and researchers inspecting heads, positional
encodings and activations in attnscope.

## Limits
- Trained only on short, everyday sentences (≤ 9 English words): long or
  technical input degrades quickly, and the model will still produce fluent-looking French.
- Characters it has not seen (most emoji, non-Latin scripts, rare symbols) become `<unk>`.
- Quoted dialogue and unusual punctuation can derail greedy decoding into repetition.
- Tatoeba's style and biases carry over (e.g. gender defaults in French agreement).

## How to retrain
```
attnscope train --data path/to/tatoeba-eng-fra.tsv --out models/{folder.name} \\
  --epochs {metrics.get("epochs")} --seed {metrics.get("seed")} \\
  --max-tokens {opts.get("max_tokens")} --warmup {opts.get("warmup")} --lr-factor {opts.get("lr_factor")}
```
Add `--resume` to continue an interrupted run from its last epoch.
"""
    (folder / "README.md").write_text(text, encoding="utf-8")
