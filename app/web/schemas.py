"""Pydantic models for the HTTP boundary: what the JSON API accepts and returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.capture.trace import TokenRow, Trace
from app.transformer.probes import AttentionKind

HeadChoice = int | Literal["mean"]


class TraceQuery(BaseModel):
    """What identifies a trace; every request carries it (the service keeps no session)."""

    text: str = Field(description="English sentence to translate and inspect")
    model: str | None = Field(default=None, description="model name; the default model if omitted")
    beam_size: int = Field(default=1, description="1 = greedy decoding")
    max_length: int | None = Field(default=None, description="maximum output tokens")


class AttentionQuery(TraceQuery):
    kind: AttentionKind
    layer: int
    head: HeadChoice = Field(description='head index, or "mean" for the mean over heads')


class StepQuery(TraceQuery):
    kind: AttentionKind
    layer: int
    head: int
    query: int = Field(description="query row (position) to explain")


class ActivationQuery(TraceQuery):
    stack: Literal["encoder", "decoder"] = "encoder"
    ffn_layer: int = 0


class ExportQuery(TraceQuery):
    format: Literal["json", "npz"] = "json"


class HeadRefIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AttentionKind
    layer: int
    head: int


class AblationRequest(TraceQuery):
    heads: list[HeadRefIn] = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    index: int
    id: int
    text: str
    start: int
    end: int
    unknown: bool

    @staticmethod
    def row(tokens: TokenRow) -> list[TokenOut]:
        return [
            TokenOut(index=i, id=tid, text=txt, start=start, end=end, unknown=unk)
            for i, (tid, txt, (start, end), unk) in enumerate(
                zip(tokens.ids, tokens.display, tokens.offsets, tokens.unknown, strict=True)
            )
        ]


class AlternativeOut(BaseModel):
    token: str
    id: int
    probability: float


class StepOut(BaseModel):
    position: int
    token: str
    id: int
    probability: float
    top: list[AlternativeOut]


class TraceSummary(BaseModel):
    model: str
    text: str
    translation: str
    finished: bool = Field(description="false when decoding stopped at the length limit")
    beam_size: int
    source_tokens: list[TokenOut]
    target_tokens: list[TokenOut] = Field(description="decoder positions, starting with <s>")
    steps: list[StepOut] = Field(description="per decoder position: the token it produced")
    layers: dict[str, int]
    heads: int

    @staticmethod
    def of(trace: Trace) -> dict[str, Any]:
        return {
            "model": trace.model,
            "text": trace.text,
            "translation": trace.translation,
            "finished": trace.finished,
            "beam_size": trace.beam_size,
            "source_tokens": TokenOut.row(trace.source),
            "target_tokens": TokenOut.row(trace.target),
            "steps": [
                StepOut(
                    position=s.position,
                    token=s.token,
                    id=s.token_id,
                    probability=round(s.probability, 6),
                    top=[
                        AlternativeOut(token=a.token, id=a.token_id, probability=a.probability) for a in s.top
                    ],
                )
                for s in trace.steps
            ],
            "layers": dict(trace.n_layers),
            "heads": trace.n_heads,
        }


class AnalyzeResponse(TraceSummary):
    attention: dict[AttentionKind, list[list[list[list[float]]]]] = Field(
        description="encoder [layer][head][S][S], decoder [layer][head][T][T], cross [layer][head][T][S]"
    )


class AttentionOut(BaseModel):
    kind: AttentionKind
    layer: int
    head: HeadChoice
    rows: list[TokenOut]
    cols: list[TokenOut]
    row_axis: str
    col_axis: str
    weights: list[list[float]] = Field(description="[row][col], rows sum to 1")


class HeadStatsOut(BaseModel):
    kind: AttentionKind
    layer: int
    head: int = Field(description="-1 for the mean over heads")
    entropy: float
    normalized_entropy: float
    mean_distance: float
    max_weight: float
    same: float
    previous: float
    next: float
    first: float
    last: float
    label: str


class RolloutOut(BaseModel):
    source_tokens: list[TokenOut]
    target_tokens: list[TokenOut]
    encoder: list[list[float]]
    decoder: list[list[float]]
    decoder_to_source: list[list[float]]


class PositionalOut(BaseModel):
    source_tokens: list[TokenOut]
    target_tokens: list[TokenOut]
    encodings: list[list[float]]
    similarity: list[list[float]]
    source_token_norm: list[float]
    source_position_norm: list[float]
    target_token_norm: list[float]
    target_position_norm: list[float]


class NeuronOut(BaseModel):
    layer: int
    neuron: int
    mean_activation: float
    max_activation: float
    top_token: int


class ActivationsOut(BaseModel):
    stack: Literal["encoder", "decoder"]
    tokens: list[TokenOut]
    sites: list[str]
    residual_norms: list[list[float]]
    layer_similarity: list[list[float]]
    ffn_sparsity: list[float]
    ffn_token_sparsity: list[list[float]]
    ffn_layer: int
    ffn_hidden: list[list[float]] = Field(description="[token][neuron] for ffn_layer")
    top_neurons: list[list[NeuronOut]]


class StepByStepOut(BaseModel):
    kind: AttentionKind
    layer: int
    head: int
    query: int
    query_token: TokenOut
    keys: list[TokenOut]
    d_k: int
    q: list[float]
    k: list[list[float]]
    v: list[list[float]]
    dot: list[float] = Field(description="Q·Kᵀ for this query row")
    scaled: list[float] = Field(description="Q·Kᵀ / √d_k")
    allowed: list[bool] = Field(description="the mask: false keys are set to −∞")
    weights: list[float] = Field(description="softmax of the masked, scaled scores")
    output: list[float] = Field(description="weights · V")


class AblationOut(BaseModel):
    heads: list[HeadRefIn]
    original: str
    ablated: str
    changed: bool
    original_tokens: list[str]
    ablated_tokens: list[str]
    original_log_prob: float
    ablated_log_prob_of_original: float


class ModelInfo(BaseModel):
    name: str
    d_model: int
    n_heads: int
    n_encoder_layers: int
    n_decoder_layers: int
    d_ff: int
    vocab_size: int
    parameters: int
    metrics: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok"]
    model: str
    device: str


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail
