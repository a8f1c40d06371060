"""Imported by the batch's forkserver before it forks any worker: the lexicons and the tokenizer's
dictionary are loaded once there, and every worker starts warm (and shares those pages)."""
import contextlib

with contextlib.suppress(Exception):  # a worker that starts cold warms itself up (and reports why)
    from .batch import _warm_up

    _warm_up()
