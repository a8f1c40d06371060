"""Imported by the batch's forkserver before it forks any worker: the lexicons, the tokenizer's
dictionary and the batch's theme model (named by the environment, see batch.WorkerPool) are loaded
once there, and every worker starts warm (and shares those pages)."""
import contextlib
import os

with contextlib.suppress(Exception):  # a worker that starts cold warms itself up (and reports why)
    from .batch import PRELOAD_MODEL, _warm_up

    _warm_up()
    if os.environ.get(PRELOAD_MODEL):
        from .classify.model import get_model

        get_model(os.environ[PRELOAD_MODEL])
