"""examples/python/ddp_train.py as torchrun starts it: three ranks on this host, each with its own pipeline
(`shard: auto`, `uneven: pad`), train a small model with DistributedDataParallel over gloo on the host
backend. Every rank takes the same number of batches (no rank waits forever in an all-reduce), the ranks'
samples of an epoch cover the dataset with only the padding on two ranks, and each rank sized its threads to
its share of the cores. The ranks are started the way torchrun starts them (RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), without torchrun itself, whose launcher in Debian's PyTorch 1.13
does not start under Python 3.11."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python" / "ddp_train.py"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_three_ranks_take_equal_batches_of_disjoint_parts_and_share_the_cores():
    world, samples = 3, 1001
    port = str(free_port())
    ranks = []
    for rank in range(world):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                   LOCAL_WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=port, OMP_NUM_THREADS="1")
        # gloo on the loopback interface: a sandbox's hostname may resolve to no interface at all.
        if os.path.exists("/sys/class/net/lo"):
            env.setdefault("GLOO_SOCKET_IFNAME", "lo")
        ranks.append(subprocess.Popen([sys.executable, str(EXAMPLE), "--device", "host", "--samples", str(samples),
                                       "--batch", "32", "--epochs", "2", "--check-ids"],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = []
    for p in ranks:
        out, _ = p.communicate(timeout=240)
        outputs.append(out)
        assert p.returncode == 0, out
    text = "".join(outputs)
    # 1001 samples over 3 ranks, padded to 334 each: 11 batches of 32 an epoch, 2 epochs.
    for rank in range(world):
        assert re.search(rf"rank {rank} of 3: 22 batches", text), text
    assert "batches per rank [22, 22, 22]: equal" in text, text
    assert f"sample ids of epoch 0: {samples} of {samples} covered, 1 on two ranks (padding)" in text, text
    shares = [int(m) for m in re.findall(r"host share (\d+) cores \(local rank \d of 3\)", text)]
    cores = len(os.sched_getaffinity(0))  # what the engine counts: the cores this process may run on
    assert len(shares) == world and sum(shares) == max(world, cores), text
