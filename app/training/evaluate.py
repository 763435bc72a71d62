"""Dev-set scores with sacrebleu: detokenised greedy output against every reference."""

from __future__ import annotations

from dataclasses import dataclass

from sacrebleu.metrics.bleu import BLEU
from sacrebleu.metrics.chrf import CHRF

from app.training.data import DevSentence
from app.transformer.model import Transformer
from app.transformer.tokenizer import SubwordTokenizer
from app.transformer.translate import translate_texts


@dataclass(frozen=True)
class Scores:
    bleu: float
    chrf: float
    signature_bleu: str
    signature_chrf: str
    samples: list[tuple[str, str]]  # (source, hypothesis) for the model card


def reference_streams(dev: list[DevSentence]) -> list[list[str | None]]:
    """sacrebleu wants one stream per reference slot; sentences with fewer references get None."""
    depth = max(len(d.references) for d in dev)
    return [[d.references[i] if i < len(d.references) else None for d in dev] for i in range(depth)]


def evaluate(model: Transformer, tokenizer: SubwordTokenizer, dev: list[DevSentence]) -> Scores:
    model.eval()
    hypotheses = translate_texts(model, tokenizer, [d.source for d in dev])
    refs = reference_streams(dev)
    bleu, chrf = BLEU(), CHRF()
    bleu_score = bleu.corpus_score(hypotheses, refs)  # type: ignore[arg-type]
    chrf_score = chrf.corpus_score(hypotheses, refs)  # type: ignore[arg-type]
    # Evenly spaced through the (alphabetical) dev set, so the card's samples are not all "A ...".
    picks = sorted({round(i * (len(dev) - 1) / 7) for i in range(8)}) if len(dev) > 1 else [0]
    samples = [(dev[i].source, hypotheses[i]) for i in picks]
    return Scores(
        round(bleu_score.score, 2),
        round(chrf_score.score, 2),
        str(bleu.get_signature()),
        str(chrf.get_signature()),
        samples,
    )
