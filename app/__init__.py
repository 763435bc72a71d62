"""attnscope: see what every attention head of a small encoder–decoder Transformer does."""

__version__ = "0.1.0"
