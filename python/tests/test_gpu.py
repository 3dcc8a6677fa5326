"""On a CUDA device: batches reach torch without a copy, on torch's current stream (a side stream included),
with the bytes the host backend delivers; a consumer slower than the pipeline never sees its buffer reused;
CuPy and JAX take the same arrays. ctest runs these under the `gpu` label with FEEDGRAPH_REQUIRE_GPU=1, so
that a missing device fails rather than skips."""

import os

import numpy
import pytest

import feedgraph
from conftest import cuda_ready, no_resources_held, small_yaml

pytestmark = pytest.mark.gpu
if not cuda_ready():
    if os.environ.get("FEEDGRAPH_REQUIRE_GPU") == "1":
        raise RuntimeError("FEEDGRAPH_REQUIRE_GPU=1 but the cuda backend, a device or PyTorch with CUDA is missing")
    pytest.skip("needs the cuda backend, a CUDA device and PyTorch with CUDA", allow_module_level=True)

import torch  # noqa: E402


def sample_sums(x):
    """Per-sample sums of the bytes as int32 words: exact, whatever order a reduction takes."""
    words = x.reshape(x.shape[0], -1).view(torch.int32).to(torch.int64)
    return words.sum(dim=1)


def host_sums(yaml):
    out = {}
    with feedgraph.Pipeline.from_yaml(yaml.replace("device: cuda", "device: host")) as pipe:
        for batch in pipe:
            x = torch.from_dlpack(batch.data)
            for i, s in zip(batch.sample_ids, sample_sums(x).tolist()):
                out[(batch.epoch, i)] = s
    return out


def test_zero_copy_on_a_side_stream_with_the_hosts_bytes():
    yaml = small_yaml(samples=96, batch=16, epochs=2, device="cuda", shape=(3, 32, 32))
    expected = host_sums(yaml)
    side = torch.cuda.Stream()
    got = {}
    with feedgraph.Pipeline.from_yaml(yaml) as pipe:
        assert pipe.plan["backend"] == "cuda"
        for batch in pipe:
            assert batch.data.__dlpack_device__() == (2, pipe.plan["device_index"])
            with torch.cuda.stream(side):
                x = torch.from_dlpack(batch.data)  # torch passes `side`: it waits for the batch on the device
                y = torch.from_dlpack(batch.labels)
                assert x.is_cuda and x.data_ptr() == batch.data.ptr and y.data_ptr() == batch.labels.ptr
                sums = sample_sums(x)
                labels = y.clone()
            side.synchronize()
            assert labels.tolist() == [i % 5 for i in batch.sample_ids]
            for i, s in zip(batch.sample_ids, sums.tolist()):
                got[(batch.epoch, i)] = s
    assert got == expected
    del x, y, batch  # the last batch's tensors: the memory goes with them
    torch.cuda.synchronize()
    assert no_resources_held()


def test_a_consumer_slower_than_the_pipeline_never_sees_its_buffer_reused():
    # Two device buffers and a consumer kernel that sleeps before it reads: each tensor is dropped right
    # after its work is queued, so the buffer goes back while that work has not run. Reuse must wait for it.
    yaml = small_yaml(samples=256, batch=16, epochs=1, device="cuda", shape=(3, 32, 32),
                      extra="buffers: {device: 2}\nprefetch: 4\n")
    expected = host_sums(yaml)
    side = torch.cuda.Stream()
    results = []
    with feedgraph.Pipeline.from_yaml(yaml) as pipe:
        with torch.cuda.stream(side):
            for batch in pipe:
                x = torch.from_dlpack(batch.data)
                torch.cuda._sleep(2_000_000)  # about a millisecond or two of GPU time, before the read
                results.append((batch.epoch, list(batch.sample_ids), sample_sums(x)))
                del x, batch
        side.synchronize()
    got = {}
    for epoch, ids, sums in results:
        for i, s in zip(ids, sums.tolist()):
            got[(epoch, i)] = s
    assert got == expected


def test_the_torch_helper_on_the_default_stream():
    import feedgraph.torch as fgtorch

    yaml = small_yaml(samples=64, batch=16, epochs=1, device="cuda")
    expected = host_sums(yaml)
    got = {}
    with feedgraph.Pipeline.from_yaml(yaml) as pipe:
        ids = []
        for batch in pipe:
            ids.append(list(batch.sample_ids))
        for (x, y), batch_ids in zip(fgtorch.batches(pipe), ids):
            assert x.is_cuda and y.is_cuda
            for i, s in zip(batch_ids, sample_sums(x).tolist()):
                got[(0, i)] = s
    assert got == expected


def test_cuda_array_interface_and_cupy():
    cupy = pytest.importorskip("cupy")
    with feedgraph.Pipeline.from_yaml(small_yaml(samples=32, batch=8, epochs=1, device="cuda")) as pipe:
        for batch in pipe:
            cai = batch.data.__cuda_array_interface__
            assert cai["data"][0] == batch.data.ptr and cai["version"] == 3 and cai["typestr"] == "<f4"
            a = cupy.from_dlpack(batch.data)
            assert a.data.ptr == batch.data.ptr
            t = torch.from_dlpack(batch.data)
            assert numpy.array_equal(cupy.asnumpy(a), t.cpu().numpy())


def test_jax_takes_the_arrays():
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    jax = pytest.importorskip("jax")
    import jax.dlpack

    with feedgraph.Pipeline.from_yaml(small_yaml(samples=32, batch=8, epochs=1, device="cuda")) as pipe:
        for batch in pipe:
            expected = torch.from_dlpack(batch.data).cpu().numpy()
            a = jax.dlpack.from_dlpack(batch.data)
            assert numpy.array_equal(numpy.asarray(a), expected)
            del a
