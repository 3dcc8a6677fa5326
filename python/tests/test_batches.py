"""A Python loop gets every sample once per epoch, without a copy, with the bytes a C++ loop would get."""

import collections

import numpy
import pytest

import feedgraph
from conftest import digest, host_pass, no_resources_held, small_yaml


def test_every_sample_once_per_epoch_through_numpy_from_dlpack():
    yaml = small_yaml(samples=50, batch=8, epochs=3)
    seen = collections.defaultdict(list)
    with feedgraph.Pipeline.from_yaml(yaml) as pipe:
        assert len(pipe) == 21  # ceil(50 / 8) = 7 per epoch
        count = 0
        for batch in pipe:
            x = numpy.from_dlpack(batch.data)
            y = numpy.from_dlpack(batch.labels)
            assert x.dtype == numpy.float32 and x.shape == (batch.samples, 3, 8, 8)
            assert y.dtype == numpy.int64 and y.shape == (batch.samples,)
            assert y.tolist() == [i % 5 for i in batch.sample_ids] == batch.host_labels
            assert batch.index == count % 7 and batch.epoch == count // 7 and batch.ticket == count
            seen[batch.epoch].extend(batch.sample_ids)
            count += 1
        assert count == 21
    assert sorted(seen) == [0, 1, 2]
    for epoch, ids in seen.items():
        assert sorted(ids) == list(range(50)), f"epoch {epoch}"


def test_every_sample_once_per_epoch_through_torch_from_dlpack(torch_module):
    torch = torch_module
    seen = collections.defaultdict(list)
    with feedgraph.Pipeline.from_yaml(small_yaml(samples=30, batch=4, epochs=2)) as pipe:
        for batch in pipe:
            x = torch.from_dlpack(batch.data)
            y = torch.from_dlpack(batch.labels)
            assert x.dtype == torch.float32 and tuple(x.shape) == (batch.samples, 3, 8, 8)
            assert x.data_ptr() == batch.data.ptr  # the engine's buffer, not a copy
            assert y.tolist() == [i % 5 for i in batch.sample_ids]
            seen[batch.epoch].extend(batch.sample_ids)
    assert {e: sorted(v) for e, v in seen.items()} == {0: list(range(30)), 1: list(range(30))}


def test_the_torch_helper_yields_tensor_pairs(torch_module):
    import feedgraph.torch as fgtorch

    with feedgraph.Pipeline.from_yaml(small_yaml(samples=20, batch=4, epochs=1)) as pipe:
        pairs = [(x.clone(), y.clone()) for x, y in fgtorch.batches(pipe)]
    assert len(pairs) == 5
    assert sorted(int(v) for _, y in pairs for v in y) == sorted(i % 5 for i in range(20))


def test_arrays_are_the_engines_buffers():
    with feedgraph.Pipeline.from_yaml(small_yaml(samples=16, batch=8, epochs=1)) as pipe:
        batch = next(iter(pipe))
        a = numpy.from_dlpack(batch.data)
        b = numpy.from_dlpack(batch.data)
        assert a.ctypes.data == b.ctypes.data == batch.data.ptr
        assert batch.data.nbytes == a.nbytes == 8 * 3 * 8 * 8 * 4
        assert batch.data.shape == (8, 3, 8, 8) and batch.data.dtype == "float32"
        assert batch.data.__dlpack_device__() == (1, 0)  # kDLCPU on the host backend
        assert not hasattr(batch.data, "__cuda_array_interface__")
        del a, b, batch


def test_the_same_bytes_at_any_concurrency_and_prefetch():
    yaml = small_yaml(samples=40, batch=8, epochs=2)
    first = host_pass(yaml, **{"dataset.shuffle": True, "concurrency.read": 1, "concurrency.transform": 1, "prefetch": 1})
    second = host_pass(yaml, **{"dataset.shuffle": True, "concurrency.read": 4, "concurrency.transform": 3, "prefetch": 4})
    assert first == second
    # Shuffled: each epoch has its own order, and every sample keeps its bytes wherever it lands.
    assert first[0][2] != first[5][2]
    by_id = {}
    for _, _, ids, _, digests in first:
        for i, d in zip(ids, digests):
            assert by_id.setdefault(i, d) == d


def test_plan_and_stats_are_dicts_with_the_documented_keys():
    with feedgraph.Pipeline.from_yaml(small_yaml(samples=24, batch=8, epochs=1), {"batch_size": 4}) as pipe:
        plan = pipe.plan
        assert plan["backend"] == "host" and plan["batch_size"] == 4 and plan["batches"] == 6 == len(pipe)
        assert plan["layout"] == {"shape": [3, 8, 8], "dtype": "float32"}
        assert plan["memory"]["total_bytes"] > 0
        with pytest.raises(feedgraph.Error, match="has not run yet"):
            pipe.stats()
        for _ in pipe:
            pass
        stats = pipe.stats()
    for key in ("graph", "variant", "batches", "samples", "wall_s", "samples_per_s", "h2d_gbps",
                "gpu_idle_fraction", "peak_memory_bytes", "verdict", "nodes"):
        assert key in stats, key
    assert stats["batches"] == 6 and stats["samples"] == 24 and stats["graph"] == "small"
    assert {n["name"] for n in stats["nodes"]} >= {"read", "transform", "copy", "compute"}
    # The host CPU over the wall, by thread: the graph's own, the engine's named threads, this loop's.
    groups = {g["name"]: g for g in stats["cpu_by_thread"]}
    assert "graph" in groups and "fg-watchdog" in groups
    assert sum(g["cpu_s"] for g in groups.values()) <= stats["cpu_s"] + 0.02
    assert all(n["cpu_s"] >= 0 for n in stats["nodes"])


def test_overrides_from_a_mapping_or_strings_and_from_a_file(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(small_yaml(samples=24, batch=8, epochs=1))
    with feedgraph.Pipeline(path, {"batch_size": 6, "epochs": 2}) as a:
        assert len(a) == 8
    with feedgraph.Pipeline(str(path), ["batch_size=12"]) as b:
        assert len(b) == 2
    with pytest.raises(TypeError):
        feedgraph.Pipeline(path, "batch_size=12")


def test_leaving_the_loop_stops_the_run_and_closing_frees_everything():
    pipe = feedgraph.Pipeline.from_yaml(small_yaml(samples=4000, batch=4, epochs=5))
    for batch in pipe:
        if batch.ticket == 3:
            break
    del batch
    assert feedgraph.live_resources()["threads"] == 0  # the graph's threads joined
    # A new pass starts from the first batch.
    assert next(iter(pipe)).ticket == 0
    it = iter(pipe)
    assert next(it).ticket == 0
    again = iter(pipe)  # replaces the pass still running
    assert next(again).ticket == 0
    with pytest.raises(StopIteration):
        next(it)
    del it, again
    pipe.close()
    assert no_resources_held()
    with pytest.raises(feedgraph.Error, match="closed"):
        len(pipe)


def test_stats_after_stop_count_what_was_delivered():
    with feedgraph.Pipeline.from_yaml(small_yaml(samples=4000, batch=4, epochs=1)) as pipe:
        it = iter(pipe)
        for _ in range(5):
            next(it)
        pipe.stop()
        with pytest.raises(StopIteration):
            next(it)
        stats = pipe.stats()
        assert stats["interrupted"] and 5 <= stats["batches"] < 1000


def test_the_report_says_whether_the_loop_or_the_input_set_the_pace():
    import time

    # A loop slower than its pipeline almost never waits for a batch: consumer-bound.
    with feedgraph.Pipeline.from_yaml(small_yaml(samples=120, batch=8, epochs=1)) as pipe:
        for _ in pipe:
            time.sleep(0.02)
        stats = pipe.stats()
    assert stats["consumer_wait_fraction"] < 0.05
    assert stats["verdict"].startswith("consumer-bound"), stats["verdict"]
    # A pipeline slower than its loop (storage latency): the loop waits most of the time.
    slow = small_yaml(samples=32, batch=4, epochs=1, io_us=5000, extra="concurrency: {read: 1}\n")
    with feedgraph.Pipeline.from_yaml(slow) as pipe:
        for _ in pipe:
            pass
        stats = pipe.stats()
    assert stats["consumer_wait_fraction"] > 0.5
    assert not stats["verdict"].startswith("consumer-bound")


def test_state_dict_and_load_state_dict_resume_exactly():
    yaml = small_yaml(samples=40, batch=4, epochs=2)
    expected = host_pass(yaml, **{"dataset.shuffle": True})
    with feedgraph.Pipeline.from_yaml(yaml, {"dataset.shuffle": True}) as pipe:
        got = []
        for batch in pipe:
            got.append((batch.epoch, batch.index, list(batch.sample_ids)))
            if len(got) == 13:
                break
        state = pipe.state_dict()
    assert state["format"] == "feedgraph.state/1" and state["epoch"] == 1 and state["batches"] == 3
    with feedgraph.Pipeline.from_yaml(yaml, {"dataset.shuffle": True, "prefetch": 1}) as pipe:
        pipe.load_state_dict(json_roundtrip(state))
        assert len(pipe) == 20 - 13
        for batch in pipe:
            got.append((batch.epoch, batch.index, list(batch.sample_ids)))
    assert got == [(e, i, ids) for e, i, ids, _, _ in expected]
    with feedgraph.Pipeline.from_yaml(yaml) as other:  # not shuffled: another order
        with pytest.raises(feedgraph.Error, match="dataset.shuffle was true, now false"):
            other.load_state_dict(state)


def json_roundtrip(d):
    import json

    return json.loads(json.dumps(d))
