"""PyTorch helpers: ``for x, y in feedgraph.torch.batches(pipe): ...``.

Each (x, y) is a pair of tensors made with ``torch.from_dlpack`` from the pipeline's own buffers (no copy),
ready on torch's current CUDA stream when they are made (the stream waits on the device; the host does not).
The buffer goes back to the pipeline when both tensors are freed, after the work queued on that stream.
"""

from __future__ import annotations

from typing import Iterator, Tuple

import torch as _torch

from . import Pipeline


def batches(pipe: Pipeline) -> Iterator[Tuple["_torch.Tensor", "_torch.Tensor"]]:
    """Yield ``(data, labels)`` tensors for every batch of one pass over ``pipe``."""
    for batch in pipe:
        yield _torch.from_dlpack(batch.data), _torch.from_dlpack(batch.labels)
