#!/usr/bin/env python3
"""Data-parallel training with one feedgraph pipeline per rank, under torchrun.

  torchrun --nproc_per_node=2 examples/python/ddp_train.py --epochs 2
  torchrun --nproc_per_node=8 examples/python/ddp_train.py --device cuda --samples 262144 --epochs 3

Each rank builds the same pipeline with ``shard: auto``: torchrun's RANK/WORLD_SIZE give it its part of
every epoch (disjoint, together the whole dataset), LOCAL_RANK its GPU (``device: auto`` takes
cuda:LOCAL_RANK), LOCAL_WORLD_SIZE its share of the host's cores (``threads: auto``). ``uneven: pad`` gives
every rank the same number of batches per epoch, so no rank waits forever in an all-reduce that another
rank never joins. At the end each rank checks that it took as many batches as every other and that the
ranks' sample ids were disjoint, and rank 0 prints the aggregate rate (the sum over ranks) and the slowest
rank's. With ``--device host`` it runs on CPUs alone (gloo), which is how the tests run it.
"""

import argparse
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser(description="DDP training fed by one feedgraph pipeline per rank")
    ap.add_argument("--device", default="auto", help="auto | cuda | host (default auto)")
    ap.add_argument("--samples", type=int, default=4099, help="synthetic samples in the dataset")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--check-ids", action="store_true", help="gather every rank's sample ids and check them")
    args = ap.parse_args()

    try:
        import torch
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel
    except ImportError as e:
        print(f"ddp_train.py: needs PyTorch with torch.distributed ({e}); nothing to do here")
        return 0
    if "RANK" not in os.environ:
        print("ddp_train.py: start it with torchrun (torchrun --nproc_per_node=2 examples/python/ddp_train.py)")
        return 2

    import feedgraph
    import feedgraph.torch

    on_gpu = args.device != "host" and torch.cuda.is_available()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if on_gpu:
        torch.cuda.set_device(local_rank)
    dist.init_process_group("nccl" if on_gpu else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()

    # 3x32x32 uint8 images with 10 classes; normalized to float32 on the device (or the host stand-in).
    pipeline = f"""
name: ddp-example
device: {args.device if args.device != "auto" else ("auto" if on_gpu else "host")}
batch_size: {args.batch}
epochs: {args.epochs}
seed: 0
dataset:
  source: synthetic
  samples: {args.samples}
  sample: {{shape: [32, 32, 3], dtype: uint8}}
  classes: 10
  shuffle: true
  shard: {{index: auto, count: auto, uneven: pad}}
device_transforms:
  - to_chw
  - normalize: {{mean: 127.5, std: 64.0}}
concurrency: {{read: 2, transform: 1, pin: 1}}
prefetch: 4
"""
    pipe = feedgraph.Pipeline.from_yaml(pipeline, origin="ddp-example.yaml")
    device = torch.device(f"cuda:{local_rank}" if on_gpu else "cpu")
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 10)).to(device)
    ddp = DistributedDataParallel(model, device_ids=[local_rank] if on_gpu else None)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
    share = pipe.plan.get("host_share", {})

    batches = samples = 0
    ids = []
    loss = torch.zeros(())
    start = time.perf_counter()
    for batch in pipe:  # every epoch of the pipeline's file, in order
        if args.check_ids and batch.epoch == 0:
            ids.extend(int(i) for i in batch.sample_ids)
        n = batch.samples
        x = torch.from_dlpack(batch.data)
        y = torch.from_dlpack(batch.labels)
        loss = torch.nn.functional.cross_entropy(ddp(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # the all-reduce: every rank must get here as often as every other
        opt.step()
        del x, y, batch
        batches += 1
        samples += n
    seconds = time.perf_counter() - start
    rate = samples / seconds

    counts = torch.tensor([batches, rate], dtype=torch.float64)
    gathered = [torch.zeros_like(counts) for _ in range(world)]
    dist.all_gather(gathered, counts)
    per_rank_batches = [int(g[0]) for g in gathered]
    rates = [float(g[1]) for g in gathered]
    ok = len(set(per_rank_batches)) == 1
    print(f"rank {rank} of {world}: {batches} batches, {rate:.0f} samples/s, "
          f"host share {share.get('cores', '?')} cores (local rank {share.get('local_rank', '?')} of "
          f"{share.get('local_world', '?')}), loss {loss.item():.3f}", flush=True)
    if args.check_ids:
        mine = torch.tensor(sorted(set(ids)), dtype=torch.int64)
        sizes = [torch.zeros(1, dtype=torch.int64) for _ in range(world)]
        dist.all_gather(sizes, torch.tensor([len(mine)], dtype=torch.int64))
        longest = max(int(s) for s in sizes)
        padded = torch.full((longest,), -1, dtype=torch.int64)
        padded[: len(mine)] = mine
        everyone = [torch.zeros(longest, dtype=torch.int64) for _ in range(world)]
        dist.all_gather(everyone, padded)
        seen = [set(int(v) for v in e if v >= 0) for e in everyone]
        union = set().union(*seen)
        overlap = sum(len(s) for s in seen) - len(union)
        # uneven: pad repeats up to world - 1 samples of each epoch on the ranks that run short.
        ok = ok and union == set(range(args.samples)) and overlap <= world - 1
        if rank == 0:
            print(f"sample ids of epoch 0: {len(union)} of {args.samples} covered, {overlap} on two ranks (padding)",
                  flush=True)
    if rank == 0:
        print(f"aggregate: {sum(rates):.0f} samples/s over {world} ranks, slowest rank {min(rates):.0f} samples/s; "
              f"batches per rank {per_rank_batches}: {'equal' if ok else 'NOT EQUAL'}", flush=True)
    pipe.close()
    dist.destroy_process_group()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
