"""Errors reach Python as feedgraph.Error subclasses with their structured fields, where the loop iterates."""

import pytest

import feedgraph
from conftest import no_resources_held, small_yaml


def test_the_hierarchy():
    for cls in (feedgraph.ConfigError, feedgraph.StageError, feedgraph.DataError, feedgraph.CudaError,
                feedgraph.StallError):
        assert issubclass(cls, feedgraph.Error) and issubclass(cls, Exception)


def test_a_config_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    text = small_yaml().replace("batch_size: 8", "batch_size: eight")
    path.write_text(text)
    line = text.splitlines().index("batch_size: eight") + 1
    with pytest.raises(feedgraph.ConfigError) as info:
        feedgraph.Pipeline(path)
    e = info.value
    assert str(e).startswith(f"{path}:{line}:")
    assert e.file == str(path) and e.line == line and e.column >= 1 and e.key_path == "batch_size"


def test_a_bad_override_is_a_config_error():
    with pytest.raises(feedgraph.ConfigError, match="prefetch"):
        feedgraph.Pipeline.from_yaml(small_yaml(), {"prefetch": "lots"})


def test_a_stage_error_is_raised_where_the_loop_iterates():
    yaml = small_yaml(samples=80, batch=4, epochs=1, extra="faults: [{kind: throw, node: transform, batch: 5}]\n")
    delivered = []
    with feedgraph.Pipeline.from_yaml(yaml) as pipe:
        with pytest.raises(feedgraph.StageError) as info:
            for batch in pipe:
                delivered.append(batch.ticket)
        # The loop's variable still holds the last batch delivered (if one came before the error), and a held
        # batch keeps its buffer alive past close(), by design: let it go before counting what is left.
        batch = None
        assert info.value.node == "transform" and info.value.batch == 5
        assert delivered == list(range(len(delivered))) and len(delivered) <= 5
        with pytest.raises(feedgraph.StageError):
            pipe.stats()  # the pass's error, again
    assert no_resources_held()


def test_missing_data_is_an_error_naming_the_path(tmp_path):
    missing = tmp_path / "nowhere"
    yaml = small_yaml().replace("source: synthetic, samples: 48, sample: {shape: [3, 8, 8], dtype: float32}, "
                                "seed: 7, classes: 5", f"source: records, path: {missing}")
    with pytest.raises(feedgraph.Error, match="nowhere"):
        feedgraph.Pipeline.from_yaml(yaml)
