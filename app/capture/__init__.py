"""The capture room: one sentence in, a typed `Trace` of the model's internals out, plus the
pure analyses computed from it (head statistics, rollout, positional and activation views,
ablation) and a bounded cache of traces. Knows nothing about HTTP or HTML.
"""
