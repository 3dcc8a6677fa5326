"""Shared pieces of the Python tests: small pipelines on the synthetic source, and what a pass delivered.

The tests run against the built tree (PYTHONPATH=<build>/python, set by ctest). Those marked `gpu` need the
cuda backend and a CUDA device, and PyTorch with CUDA; ctest runs them under its `gpu` label.
"""

import hashlib
import os

import numpy
import pytest

import feedgraph


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a CUDA device, the cuda backend and PyTorch with CUDA")


def small_yaml(samples=48, batch=8, epochs=2, extra="", device="host", shape=(3, 8, 8), io_us=0, classes=5,
               watchdog=20):
    """`samples` synthetic samples of `shape` float32, normalized; labels are sample id % classes."""
    cost = f", cost: {{io_us: {io_us}}}" if io_us else ""
    return (
        "name: small\n"
        f"device: {device}\n"
        f"batch_size: {batch}\n"
        f"epochs: {epochs}\n"
        f"dataset: {{source: synthetic, samples: {samples}, sample: {{shape: {list(shape)}, dtype: float32}}, "
        f"seed: 7, classes: {classes}{cost}}}\n"
        "transforms: [{normalize: {mean: 0.5, std: 0.25}}]\n"
        "compute: {kernel: checksum}\n"
        f"watchdog_s: {watchdog}\n" + extra
    )


def digest(row) -> str:
    """One sample's bytes, as a short hash."""
    return hashlib.blake2b(numpy.ascontiguousarray(row).tobytes(), digest_size=12).hexdigest()


def host_pass(yaml_text, **overrides):
    """Every batch of one pass on the host backend, as plain data: [(epoch, index, ids, labels, digests)]."""
    out = []
    with feedgraph.Pipeline.from_yaml(yaml_text, overrides or None) as pipe:
        for batch in pipe:
            x = numpy.from_dlpack(batch.data)
            y = numpy.from_dlpack(batch.labels)
            out.append((batch.epoch, batch.index, list(batch.sample_ids), y.tolist(), [digest(r) for r in x]))
    return out


def no_resources_held():
    return all(v == 0 for v in feedgraph.live_resources().values())


@pytest.fixture
def torch_module():
    return pytest.importorskip("torch")


def cuda_ready():
    """The build has the cuda backend, a device answers, and torch sees it."""
    if not feedgraph._feedgraph.built_with_cuda:
        return False
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


gpu = pytest.mark.gpu
requires_cuda = pytest.mark.skipif(not cuda_ready() and os.environ.get("FEEDGRAPH_REQUIRE_GPU") != "1",
                                   reason="needs the cuda backend, a CUDA device and PyTorch with CUDA")
