"""What the page shows, parsed from the URL: the URL is the whole state (shareable, reloadable).

Parsing is lenient: a stale or hand-edited link falls back to defaults instead of failing,
and indices are clamped once the trace's sizes are known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlencode

from app.capture.trace import Trace
from app.transformer.probes import ATTENTION_KINDS, AttentionKind
from app.web.schemas import HeadChoice

MAX_PAGE_BEAM = 8
BEAM_CHOICES = (1, 2, 4, 8)

VIEWS: dict[str, str] = {
    "explorer": "Explorer",
    "model": "Model view",
    "compare": "Compare",
    "step": "Step by step",
    "replay": "Decoding replay",
    "positional": "Positions",
    "activations": "Activations",
    "heads": "Heads",
    "ablation": "Ablation",
}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _clamp(value: int, upper: int) -> int:
    return max(0, min(value, upper - 1))


@dataclass(frozen=True)
class PageState:
    text: str = ""
    view: str = "explorer"
    kind: AttentionKind = "encoder"
    layer: int = 0
    head: HeadChoice = 0  # an index or "mean"
    query: int = 0  # step-by-step: the query row
    step: int = 0  # decoding replay: the decoder position
    text2: str = ""  # compare: the second sentence
    stack: str = "encoder"  # activations: which stack
    ffn_layer: int = 0
    ablate: tuple[str, ...] = ()  # "kind.layer.head" of silenced heads
    beam: int = 1  # decoding: 1 = greedy, more = beam search

    @classmethod
    def parse(cls, params: Mapping[str, str], ablate: list[str]) -> PageState:
        kind = params.get("kind", "encoder")
        kind = kind if kind in ATTENTION_KINDS else "encoder"
        head_raw = params.get("head", "0")
        return cls(
            text=params.get("text", ""),
            view=params.get("view", "explorer") if params.get("view") in VIEWS else "explorer",
            kind=kind,
            layer=_int(params.get("layer"), 0),
            head="mean" if head_raw == "mean" else _int(head_raw, 0),
            query=_int(params.get("query"), 0),
            step=_int(params.get("step"), 0),
            text2=params.get("text2", ""),
            stack="decoder" if params.get("stack") == "decoder" else "encoder",
            ffn_layer=_int(params.get("ffn_layer"), 0),
            ablate=tuple(a for a in ablate if a),
            beam=max(1, min(_int(params.get("beam"), 1), MAX_PAGE_BEAM)),
        )

    def fit(self, trace: Trace) -> PageState:
        """Clamp every index to what this sentence and model have."""
        layers = trace.n_layers[self.kind]
        rows = trace.attention[self.kind].weights.shape[2]
        head = self.head if self.head == "mean" else _clamp(int(self.head), trace.n_heads)
        stack_layers = trace.n_layers["encoder" if self.stack == "encoder" else "decoder"]
        return replace(
            self,
            layer=_clamp(self.layer, layers),
            head=head,
            query=_clamp(self.query, rows),
            step=_clamp(self.step, len(trace.steps)),
            ffn_layer=_clamp(self.ffn_layer, stack_layers),
        )

    def url(self, **changes: Any) -> str:
        """This state's URL with some fields changed; defaults are left out to keep links short."""
        state = replace(self, **changes)
        pairs: list[tuple[str, str]] = []
        for f in fields(state):
            value = getattr(state, f.name)
            if f.name == "ablate":
                pairs.extend(("ablate", a) for a in value)
            elif value != f.default:
                pairs.append((f.name, str(value)))
        return "/?" + urlencode(pairs) if pairs else "/"

    def hidden_fields(self, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """(name, value) pairs for a form's hidden inputs: the non-default state minus `skip`."""
        pairs: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in skip or (value == f.default and f.name != "view"):
                continue
            if f.name == "ablate":
                pairs.extend(("ablate", a) for a in value)
            else:
                pairs.append((f.name, str(value)))
        return pairs

    @property
    def head_index(self) -> int:
        return 0 if self.head == "mean" else int(self.head)
