"""The model room: a from-scratch encoder–decoder Transformer (Vaswani et al., 2017).

Pure PyTorch, readable next to the paper. Nothing in here knows about capture,
training or the web; internals are handed out through the `Probe` callback in
`probes.py`, which the caller passes down explicitly on every forward pass.
"""
