#!/usr/bin/env python3
"""One training step fed three ways, in one process, on the same data: PyTorch's DataLoader at its best,
feedgraph through its Python module, and synthetic tensors already on the GPU (the step's own ceiling). For
JPEG, a fourth: feedgraph with decode, crop, flip and normalize on the GPU (nvJPEG), the host reading bytes.

The step: torchvision ResNet-18, forward and backward at batch 256, channels-last, bf16 autocast, SGD. Both
feeders hand the step uint8 pixels made on the host (decode, random-resized-crop 224, flip for JPEG; as
stored for npy), which cross the link as uint8 and are made float32 and normalized on the GPU: feedgraph by
its device_transforms, the DataLoader loop by two torch ops after its non_blocking copy. The ceiling runs
the same step on a normalized float32 batch that never changes.

For each feeder: samples/s over the steady state (the first epoch's first batches are not timed), and host
CPU seconds per sample over the timed part, the DataLoader's worker processes included (/proc/PID/stat).

Usage (on the GPU machine, with PYTHONPATH=<build>/python):
  python3 bench/python/train_step.py --images data/images --npy data/npy/train.npy --json out/train_step.json
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy
import torch
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader, Dataset

import feedgraph
import feedgraph.torch

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---- host CPU time, this process and its children (DataLoader workers) -------------------------------------

def _cpu_seconds_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def _children(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
        except FileNotFoundError:
            pass
    return out


def cpu_seconds():
    """CPU time of this process, of its children that ended (DataLoader workers shut down), and of those still
    running (their own children too)."""
    me, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = me.ru_utime + me.ru_stime + ended.ru_utime + ended.ru_stime
    stack = _children(os.getpid())
    while stack:
        pid = stack.pop()
        total += _cpu_seconds_of(pid)
        stack += _children(pid)
    return total


# ---- the step -------------------------------------------------------------------------------------------

class Step:
    def __init__(self, classes, batch):
        torch.manual_seed(0)
        self.model = torchvision.models.resnet18(num_classes=classes).cuda().to(memory_format=torch.channels_last)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.mean = torch.tensor(MEAN, device="cuda").view(1, 3, 1, 1)
        self.std = torch.tensor(STD, device="cuda").view(1, 3, 1, 1)
        self.batch = batch

    def __call__(self, x, y):
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = F.cross_entropy(self.model(x), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()

    def normalize(self, x_uint8_chw):
        return (x_uint8_chw.float() - self.mean) / self.std


def timed(batches, step, warmup):
    """Run `step` over `batches` ((x, y) on the GPU); time from the end of batch `warmup` to the last. CPU time
    is read after every timed batch, so that workers shutting down after the last one do not blur it."""
    n = samples = 0
    start = cpu0 = cpu1 = None
    for x, y in batches:
        step(x, y)
        n += 1
        if n == warmup:
            torch.cuda.synchronize()
            start, cpu0 = time.perf_counter(), cpu_seconds()
        elif n > warmup:
            samples += x.shape[0]
            cpu1 = cpu_seconds()
        del x, y
    torch.cuda.synchronize()
    wall = time.perf_counter() - start
    cpu = cpu1 - cpu0
    return {"samples": samples, "wall_s": wall, "samples_per_s": samples / wall, "cpu_s_per_sample": cpu / samples,
            "cores_busy": cpu / wall}


def no_step(x, y):
    """The feeder alone: what it can deliver when nothing else limits it."""


# ---- (a) DataLoader ---------------------------------------------------------------------------------------

class JpegFolder(Dataset):
    """<class>/<file>.jpg, classes sorted: decoded with torchvision.io (libjpeg-turbo), random-resized-crop
    224 and flip on the uint8 tensor (transforms.v2), returned CHW uint8."""

    def __init__(self, root):
        self.files, self.labels = [], []
        for label, cls in enumerate(sorted(os.listdir(root))):
            for name in sorted(os.listdir(os.path.join(root, cls))):
                self.files.append(os.path.join(root, cls, name))
                self.labels.append(label)
        from torchvision.transforms import v2
        self.augment = v2.Compose([v2.RandomResizedCrop(224, antialias=True), v2.RandomHorizontalFlip()])

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        image = torchvision.io.decode_jpeg(torchvision.io.read_file(self.files[i]))
        return self.augment(image), self.labels[i]


class NpyArray(Dataset):
    """Samples of an (N, 3, 224, 224) uint8 .npy, memory-mapped; labels from <file>.labels.npy if present."""

    def __init__(self, path):
        self.path = path
        self.data = None
        labels = path[:-4] + ".labels.npy"
        n = numpy.load(path, mmap_mode="r").shape[0]
        self.labels = numpy.load(labels) if os.path.exists(labels) else numpy.zeros(n, dtype=numpy.int64)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        if self.data is None:  # opened in each worker
            self.data = numpy.load(self.path, mmap_mode="r")
        return torch.from_numpy(numpy.array(self.data[i])), int(self.labels[i])


def dataloader_batches(dataset, step, batch, workers, epochs):
    loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers, pin_memory=True,
                        prefetch_factor=4, persistent_workers=True, drop_last=False)
    try:
        for _ in range(epochs):
            for x, y in loader:
                x = x.cuda(non_blocking=True)
                y = y.cuda(non_blocking=True)
                yield step.normalize(x), y
    finally:
        del loader


# ---- (b) feedgraph ----------------------------------------------------------------------------------------

def feedgraph_yaml(kind, path, batch, epochs, cores, decode="host"):
    """decode "device" (JPEG only): the files cross as read and nvJPEG decodes them (the H100's decode engines,
    which leave the SMs to the step), then crop, flip and normalize run fused on the device."""
    device_transforms = f"[to_chw, {{normalize: {{mean: {MEAN}, std: {STD}}}}}]" if kind == "images" else \
        f"[{{normalize: {{mean: {MEAN}, std: {STD}}}}}]"
    buffers = "{device: 4}"
    if kind == "images":
        dataset = f"{{source: images, path: {path}, shuffle: true}}"
        augment = "decode_jpeg, {random_resized_crop: {size: 224}}, random_flip"
        if decode == "device":
            transforms = "[]"
            device_transforms = f"[{augment}, {device_transforms[1:]}"  # decode_jpeg's backend: auto
            concurrency = "{read: 4, pin: 2}"
            prefetch = 8
            buffers = "{}"  # decode_jpeg's default: its lanes + 2, a batch holding one while it decodes
        else:
            transforms = f"[{augment}]"
            concurrency = f"{{read: 4, transform: {max(1, cores - 2)}, pin: 2}}"
            prefetch = max(16, cores + 4)
    else:
        dataset = f"{{source: npy, path: {path}, shuffle: true" + (
            f", labels: {path[:-4]}.labels.npy}}" if os.path.exists(path[:-4] + ".labels.npy") else "}")
        transforms = "[]"
        concurrency = "{read: 8, transform: 1, pin: 2}"
        prefetch = 8
    return f"""
name: bench-{kind}
device: cuda
batch_size: {batch}
epochs: {epochs}
dataset: {dataset}
transforms: {transforms}
device_transforms: {device_transforms}
concurrency: {concurrency}
prefetch: {prefetch}
buffers: {buffers}
transfer: {{pinned: true, direct: true, non_blocking: true, copy_stream: true}}
compute: {{kernel: checksum}}
verify: false
"""


def feedgraph_batches(pipe):
    yield from feedgraph.torch.batches(pipe)


def feedgraph_with_step(yaml, step, warmup):
    """`step` fed by the pipeline `yaml`: timed(), with its plan's settings and memory and the engine's report."""
    with feedgraph.Pipeline.from_yaml(yaml) as pipe:
        r = timed(feedgraph_batches(pipe), step, warmup)
        r["plan"] = {k: pipe.plan[k] for k in ("settings", "memory")}
        stats = pipe.stats()
        r["engine"] = {k: stats[k] for k in ("samples_per_s", "verdict", "gpu_idle_fraction")}
    return r


# ---- (c) the ceiling --------------------------------------------------------------------------------------

def synthetic_batches(step, batch, count, classes):
    x = step.normalize(torch.randint(0, 256, (batch, 3, 224, 224), dtype=torch.uint8, device="cuda"))
    y = torch.randint(0, classes, (batch,), device="cuda")
    for _ in range(count):
        yield x, y


# ---- main ---------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", help="a folder of <class>/<file>.jpg (feedgraph make-dataset --kind images)")
    ap.add_argument("--npy", help="an (N, 3, 224, 224) uint8 .npy (feedgraph make-dataset --kind npy)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--workers", default="4,8,16", help="DataLoader num_workers to try; the best is reported")
    ap.add_argument("--warmup", type=int, default=8, help="batches not timed")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    cores = os.cpu_count()
    results = {"device": torch.cuda.get_device_name(), "cores": cores, "torch": torch.__version__,
               "feedgraph": feedgraph.__version__, "batch": args.batch, "epochs": args.epochs, "datasets": {}}
    torch.backends.cudnn.benchmark = True

    for kind, path in (("images", args.images), ("npy", args.npy)):
        if not path:
            continue
        dataset = JpegFolder(path) if kind == "images" else NpyArray(path)
        classes = max(int(max(dataset.labels)) + 1, 2)
        step = Step(classes, args.batch)
        n = len(dataset)
        batches_total = ((n + args.batch - 1) // args.batch) * args.epochs
        out = {"samples_per_epoch": n, "dataloader": {}}

        out["synthetic"] = timed(synthetic_batches(step, args.batch, batches_total, classes), step, args.warmup)
        print(f"{kind}: synthetic {out['synthetic']['samples_per_s']:.0f} samples/s", flush=True)

        for w in [int(v) for v in args.workers.split(",")]:
            r = timed(dataloader_batches(dataset, step, args.batch, w, args.epochs), step, args.warmup)
            out["dataloader"][str(w)] = r
            print(f"{kind}: DataLoader num_workers={w}: {r['samples_per_s']:.0f} samples/s, "
                  f"{r['cpu_s_per_sample'] * 1e3:.2f} ms CPU/sample, {r['cores_busy']:.1f} cores", flush=True)
        best = max(out["dataloader"], key=lambda k: out["dataloader"][k]["samples_per_s"])
        out["dataloader_best"] = dict(out["dataloader"][best], num_workers=int(best))

        r = feedgraph_with_step(feedgraph_yaml(kind, path, args.batch, args.epochs, cores), step, args.warmup)
        out["feedgraph"] = r
        print(f"{kind}: feedgraph {r['samples_per_s']:.0f} samples/s, {r['cpu_s_per_sample'] * 1e3:.2f} ms "
              f"CPU/sample, {r['cores_busy']:.1f} cores ({r['engine']['verdict']})", flush=True)

        # The feeders alone (no step): how much each could deliver, which the step's ceiling may hide.
        best_workers = out["dataloader_best"]["num_workers"]
        out["dataloader_alone"] = timed(dataloader_batches(dataset, step, args.batch, best_workers, args.epochs),
                                        no_step, args.warmup)
        with feedgraph.Pipeline.from_yaml(feedgraph_yaml(kind, path, args.batch, args.epochs, cores)) as pipe:
            out["feedgraph_alone"] = timed(feedgraph_batches(pipe), no_step, args.warmup)
        print(f"{kind}: alone: DataLoader ({best_workers} workers) {out['dataloader_alone']['samples_per_s']:.0f} "
              f"samples/s, {out['dataloader_alone']['cores_busy']:.1f} cores; feedgraph "
              f"{out['feedgraph_alone']['samples_per_s']:.0f} samples/s, {out['feedgraph_alone']['cores_busy']:.1f} cores",
              flush=True)
        out["feedgraph_over_dataloader_alone"] = (out["feedgraph_alone"]["samples_per_s"] /
                                                  out["dataloader_alone"]["samples_per_s"])

        if kind == "images":
            # (d) feedgraph decoding on the GPU: what the step gets, and the host CPU it costs, with the host only
            # reading bytes; then alone. A build without nvJPEG refuses the pipeline, and says why.
            try:
                yaml = feedgraph_yaml(kind, path, args.batch, args.epochs, cores, decode="device")
                gpu = feedgraph_with_step(yaml, step, args.warmup)
                with feedgraph.Pipeline.from_yaml(yaml) as pipe:
                    gpu_alone = timed(feedgraph_batches(pipe), no_step, args.warmup)
                out["feedgraph_gpu_decode"] = gpu
                out["feedgraph_gpu_decode_alone"] = gpu_alone
                print(f"{kind}: feedgraph, decode on the GPU: {gpu['samples_per_s']:.0f} samples/s, "
                      f"{gpu['cpu_s_per_sample'] * 1e3:.3f} ms CPU/sample, {gpu['cores_busy']:.1f} cores "
                      f"({gpu['engine']['verdict']}); alone {gpu_alone['samples_per_s']:.0f} samples/s, "
                      f"{gpu_alone['cores_busy']:.1f} cores", flush=True)
            except feedgraph.ConfigError as e:
                out["feedgraph_gpu_decode"] = {"skipped": str(e)}
                print(f"{kind}: feedgraph, decode on the GPU: skipped ({e})", flush=True)

        dl, fg, syn = out["dataloader_best"]["samples_per_s"], r["samples_per_s"], out["synthetic"]["samples_per_s"]
        out["feedgraph_over_dataloader"] = fg / dl
        out["feedgraph_over_synthetic"] = fg / syn
        out["dataloader_over_synthetic"] = dl / syn
        print(f"{kind}: feedgraph / DataLoader = {fg / dl:.2f}x; feedgraph / ceiling = {fg / syn:.0%}; "
              f"DataLoader / ceiling = {dl / syn:.0%}", flush=True)
        results["datasets"][kind] = out
        del step
        torch.cuda.empty_cache()

    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
