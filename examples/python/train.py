#!/usr/bin/env python3
"""Train a small torchvision model for a few steps on batches that feedgraph decodes, crops and flips on the
host and normalizes on the GPU, handed to PyTorch without a copy. With --decode gpu the host only reads the
files: nvJPEG decodes them on the GPU (its decode engines where it has them, as the H100 does) and the crop,
flip and normalize run there too, fused into one kernel (a build with nvJPEG; else it says why and exits 1).

  build/bin/feedgraph make-dataset --kind images --samples 2048 --size 320x240 --out data/images
  PYTHONPATH=build/python python3 examples/python/train.py data/images --steps 50
  PYTHONPATH=build/python python3 examples/python/train.py data/images --steps 50 --decode gpu

Without PyTorch (or torchvision, or a CUDA device) it says what is missing and exits 0.
"""

import argparse
import sys
import time


def main():
    ap = argparse.ArgumentParser(description="a few training steps fed by feedgraph")
    ap.add_argument("images", help="a folder of <class>/<file>.jpg (feedgraph make-dataset --kind images)")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--decode", choices=["host", "gpu"], default="host",
                    help="where JPEG files are decoded, cropped and flipped (default host)")
    args = ap.parse_args()

    try:
        import torch
        import torch.nn.functional as F
        import torchvision
    except ImportError as e:
        print(f"train.py: needs PyTorch and torchvision ({e}); nothing to do here")
        return 0
    if not torch.cuda.is_available():
        print("train.py: needs a CUDA device for PyTorch; nothing to do here")
        return 0

    import feedgraph
    import feedgraph.torch

    # The same augmentation either side of the link: on the host's cores, or after the files cross, on the GPU.
    augment = ["decode_jpeg", "{random_resized_crop: {size: 224}}", "random_flip"]
    on_host = args.decode == "host"
    device = ([] if on_host else augment) + [
        "to_chw", "{normalize: {mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375]}}"]
    pipeline = f"""
name: train-example
device: cuda
batch_size: {args.batch}
epochs: 1000                       # more than enough: the loop stops after --steps
dataset: {{source: images, path: {args.images}, shuffle: true}}
transforms: [{", ".join(augment) if on_host else ""}]
device_transforms: [{", ".join(device)}]
concurrency: {{read: {2 if on_host else 4}, transform: auto, pin: 2}}
prefetch: {16 if on_host else 8}
compute: {{kernel: checksum}}
"""
    try:
        pipe = feedgraph.Pipeline.from_yaml(pipeline, origin="train.py")
    except feedgraph.ConfigError as e:
        print(f"train.py: this pipeline cannot run here: {e}")
        return 1
    with pipe:
        plan = pipe.plan
        print(f"feedgraph {feedgraph.__version__}: {plan['device_name']}, {plan['dataset_samples']} images, "
              f"batch {plan['batch_size']} x {plan['layout']['shape']} {plan['layout']['dtype']}")
        if pipe.tuning:
            print(f"feedgraph: {pipe.tuning}")
        classes = 10
        model = torchvision.models.resnet18(num_classes=classes).cuda().to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        start = time.perf_counter()
        seen = 0
        for step, (x, y) in enumerate(feedgraph.torch.batches(pipe), 1):
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(x), y % classes)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seen += x.shape[0]
            if step % 10 == 0 or step == args.steps:
                print(f"step {step}: loss {loss.item():.3f}")  # .item() waits for the GPU: only when printing
            if step == args.steps:
                break
        torch.cuda.synchronize()
        wall = time.perf_counter() - start
        print(f"{args.steps} steps, {seen / wall:.0f} images/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
