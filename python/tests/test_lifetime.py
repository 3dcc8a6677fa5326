"""A batch's buffer is the consumer's while any tensor made from it lives: holding batches holds the
pipeline back (backpressure, never a deadlock), nothing held is overwritten, and nothing outlives its last
reference."""

import gc
import resource
import threading
import time

import numpy
import pytest

import feedgraph
from conftest import digest, no_resources_held, small_yaml


def test_held_batches_hold_the_pipeline_back_and_are_never_overwritten():
    buffers = 3
    yaml = small_yaml(samples=400, batch=4, epochs=1, extra=f"prefetch: 4\nbuffers: {{device: {buffers}}}\n")
    with feedgraph.Pipeline.from_yaml(yaml) as pipe:
        it = iter(pipe)
        held = []  # numpy arrays only: the Batch objects themselves are dropped
        for _ in range(buffers):
            batch = next(it)
            held.append((numpy.from_dlpack(batch.data), list(batch.sample_ids)))
        del batch
        before = [[digest(r) for r in x] for x, _ in held]

        # Every device buffer is held: the next batch cannot be made, so next() waits.
        got = []
        waiter = threading.Thread(target=lambda: got.append(next(it)))
        waiter.start()
        waiter.join(timeout=0.6)
        assert waiter.is_alive(), "next() returned a batch while every buffer was held"
        held_first = held.pop(0)  # let one go: the pipeline goes on
        del held_first
        waiter.join(timeout=10)
        assert not waiter.is_alive() and len(got) == 1
        got.clear()
        # A loop holds its current batch while it asks for the next: keep one batch held, not two, so that
        # the pipeline has a buffer to move on with.
        held.pop(0)
        rest = sum(1 for _ in it)  # the pipeline moves on through the one free buffer, many times over
        assert rest == 100 - buffers - 1
        after = [[digest(r) for r in x] for x, _ in held]
        assert after == before[2:]
    # The pipeline is closed; the array still reads the same bytes, and the memory goes with it.
    assert [[digest(r) for r in x] for x, _ in held] == before[2:]
    del held
    gc.collect()
    assert no_resources_held()


def test_a_loop_that_keeps_every_buffer_and_asks_for_more_gets_a_stall_error_not_a_hang():
    yaml = small_yaml(samples=400, batch=4, epochs=1, extra="buffers: {device: 2}\n", watchdog=0.5)
    kept = []
    with feedgraph.Pipeline.from_yaml(yaml) as pipe:
        with pytest.raises(feedgraph.StallError, match="holds every device buffer .2 of 2.*buffers.device"):
            for batch in pipe:
                kept.append(numpy.from_dlpack(batch.data))
    assert len(kept) == 2
    del kept, batch
    assert no_resources_held()


def test_a_tensor_outlives_its_pipeline(torch_module):
    torch = torch_module
    pipe = feedgraph.Pipeline.from_yaml(small_yaml(samples=16, batch=8, epochs=1))
    batch = next(iter(pipe))
    x = torch.from_dlpack(batch.data)
    expected = [digest(r) for r in x.numpy()]
    del batch
    pipe.close()
    del pipe
    gc.collect()
    assert feedgraph.live_resources()["device_allocations"] > 0  # x still holds its buffer
    assert [digest(r) for r in x.numpy()] == expected
    del x
    assert no_resources_held()


def _rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def test_a_thousand_pipelines_leave_nothing_behind_and_the_heap_flat():
    yaml = small_yaml(samples=12, batch=4, epochs=1, extra="prefetch: 2\n")

    def one():
        with feedgraph.Pipeline.from_yaml(yaml) as pipe:
            total = 0
            for batch in pipe:
                total += int(numpy.from_dlpack(batch.labels).sum())
            assert total == sum(i % 5 for i in range(12))

    for _ in range(200):  # warm: allocator pools and TBB's threads reach their size
        one()
    start = _rss_kib()
    for _ in range(800):
        one()
    gc.collect()
    grown = _rss_kib() - start
    assert no_resources_held()
    assert grown < 8 * 1024, f"resident memory grew by {grown} KiB over 800 pipelines"
