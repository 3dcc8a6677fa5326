"""feedgraph: keep a GPU fed from Python.

A pipeline file (YAML) describes how batches go from storage to device memory; a Pipeline built from it
hands the training loop device batches without a copy, ready on the loop's CUDA stream::

    import feedgraph, torch
    pipe = feedgraph.Pipeline("graphs/images.yaml", overrides={"batch_size": 128})
    print(pipe.plan)                       # backend, device, layouts, batches, memory plan
    for batch in pipe:                     # one pass over the file's epochs
        x = torch.from_dlpack(batch.data)      # zero copy; ready on torch's current stream
        y = torch.from_dlpack(batch.labels)
        loss = step(x, y)
    print(pipe.stats())                    # the `feedgraph run --json` report of the pass

Or ``for x, y in feedgraph.torch.batches(pipe)``.

Lifetime: a batch's buffer goes back to the pipeline once the Batch and every tensor made from it are gone,
after the work queued on the consumer's stream up to then has run (an event; the host never waits). Keeping
tensors alive holds buffers (``buffers.device`` of them): the pipeline then waits, it never overwrites one.

Stages are the YAML file's (and the C++ registry's); transforms written in Python are not supported.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence, Union

from . import _feedgraph
from ._feedgraph import (  # noqa: F401  (the public names)
    Array,
    Batch,
    ConfigError,
    CudaError,
    DataError,
    Error,
    StageError,
    StallError,
    assemblies_built,
    live_resources,
)

__version__ = _feedgraph.__version__
__all__ = [
    "Pipeline", "Batch", "Array", "Error", "ConfigError", "StageError", "DataError", "CudaError", "StallError",
    "live_resources", "assemblies_built", "__version__",
]

Overrides = Union[None, Mapping[str, Any], Sequence[str]]


def _override_value(value: Any) -> str:
    # The value is parsed as YAML, of which JSON is a subset: lists and mappings go as JSON, strings as written.
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _overrides(overrides: Overrides) -> list:
    """{"batch_size": 128, "concurrency.read": 8} or ["batch_size=128"] -> the `--set KEY=VALUE` strings."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [f"{key}={_override_value(value)}" for key, value in overrides.items()]
    if isinstance(overrides, str):
        raise TypeError("overrides: a mapping {'key': value} or a list of 'key=value' strings, not one string")
    return [str(item) for item in overrides]


class Pipeline:
    """A pipeline built once from a YAML file and iterated as often as asked.

    ``Pipeline(path, overrides=None, *, tune_auto=True)`` loads and builds the file (stages made, files
    listed, sample order drawn, memory planned against its budget); keys written ``auto`` are tuned here
    unless ``tune_auto=False``. ``overrides`` are the command's ``--set``: ``{"batch_size": 128,
    "concurrency.read": 8}``. Raises ConfigError (with file:line:col) for a file that cannot run, and Error
    for a missing device or unreadable data.

    Iterating starts a run and yields Batch objects, over every epoch the file asks for; a new ``iter()``
    stops a pass still running and starts over. Leaving the loop early (``break``, an exception, Ctrl-C)
    stops the run. A run's failure is raised where the loop iterates: StageError, DataError, CudaError,
    StallError.

    Threads: use a Pipeline from one thread at a time; ``stop()`` may come from any thread. The GIL is
    released while the pipeline is built and while the loop waits for a batch.
    """

    def __init__(self, path: Union[str, os.PathLike], overrides: Overrides = None, *, tune_auto: bool = True):
        self._impl = _feedgraph._Pipeline.from_file(os.fspath(path), _overrides(overrides), tune_auto)

    @classmethod
    def from_yaml(cls, text: str, overrides: Overrides = None, *, origin: str = "<yaml>",
                  tune_auto: bool = True) -> "Pipeline":
        """A pipeline from YAML text; ``origin`` names it in error messages."""
        self = cls.__new__(cls)
        self._impl = _feedgraph._Pipeline.from_yaml(text, origin, _overrides(overrides), tune_auto)
        return self

    @property
    def name(self) -> str:
        return self._impl.name()

    @property
    def plan(self) -> dict:
        """What a pass will be, as ``feedgraph validate`` says it: graph, backend, device, layout (what the
        loop sees), transfer_layout, batch_size, batches (all epochs), epochs, shard, settings and the memory
        plan in bytes."""
        return json.loads(self._impl.plan_json())

    @property
    def tuning(self) -> str:
        """What ``auto`` keys were tuned to when the pipeline was built ("" when none were)."""
        return self._impl.tuning()

    def __len__(self) -> int:
        """Batches per pass (every epoch, this shard)."""
        return self._impl.batches()

    def __iter__(self) -> Iterator[Batch]:
        return self._impl.iterate()

    def stop(self) -> None:
        """End the current pass now: no new batch starts, the pipeline's threads end. Batches and tensors
        still held stay valid until they are freed. Safe to call at any time."""
        self._impl.stop()

    def stats(self) -> dict:
        """The last pass's report: the keys of one run in ``feedgraph run --json`` (samples_per_s, wall_s,
        h2d_gbps, gpu_idle_fraction, latency_p50_s, peak_memory_bytes, verdict, nodes, ...). ``cpu_s`` is
        the process's CPU seconds over the pass (this loop's thread included) and ``cpu_by_thread`` splits it
        by thread, so ``stats()["cpu_s"] / stats()["wall_s"]`` is the host cores the pass kept busy. Raises the
        pass's error if it failed, and Error while batches remain to be taken or before the first pass."""
        return json.loads(self._impl.stats_json())

    def state_dict(self) -> dict:
        """Where the pipeline stands, as the ``feedgraph.state/1`` document (JSON-ready): the epoch and the
        batches of it the loop has taken (prefetched ones do not count), the shard, and a fingerprint of the
        data and transforms. Save it with your model's checkpoint."""
        return json.loads(self._impl.state_json())

    def load_state_dict(self, state) -> None:
        """Make the next pass go on where ``state`` says, byte for byte as an uninterrupted run would; other
        concurrency, prefetch or buffers are fine. ``state`` may be a list of every old rank's states, to
        resume on another world size (the samples no rank consumed are dealt out again). Raises Error naming
        what differs when the state belongs to other data or transforms. A pass still running is stopped."""
        states = state if isinstance(state, (list, tuple)) else [state]
        self._impl.resume([json.dumps(s) for s in states])

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop and free the pipeline now (an iterator still around then ends). Batches and tensors still
        held keep their own memory until they are freed. Using the pipeline afterwards raises Error."""
        self._impl.close()

    def __repr__(self) -> str:
        try:
            return f"feedgraph.Pipeline({self.name!r}, {len(self)} batches)"
        except Error:
            return "feedgraph.Pipeline(<closed>)"
