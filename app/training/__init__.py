"""The training room: corpus reading and splitting, the training loop, evaluation.

Nothing here is imported by the server.
"""
