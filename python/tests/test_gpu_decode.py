"""JPEG decoded on a CUDA device, seen from a PyTorch loop: the files cross the link as read, nvJPEG decodes
them, one kernel crops, flips and normalizes, and the loop gets float32 CHW tensors on the GPU, ready on its
own stream, with the samples, labels and crops of the same pipeline decoding on the host and pixels within the
README's tolerance. With `hardware_load: 0.5` the SMs decode half of each batch beside the decode engines.
ctest runs this under the `gpu` label; a build without nvJPEG (FEEDGRAPH_NVJPEG off) skips it."""

import os
import subprocess

import numpy
import pytest

import feedgraph
from conftest import cuda_ready

pytestmark = pytest.mark.gpu
if not cuda_ready():
    if os.environ.get("FEEDGRAPH_REQUIRE_GPU") == "1":
        raise RuntimeError("FEEDGRAPH_REQUIRE_GPU=1 but the cuda backend, a device or PyTorch with CUDA is missing")
    pytest.skip("needs the cuda backend, a CUDA device and PyTorch with CUDA", allow_module_level=True)
if not feedgraph._feedgraph.built_with_nvjpeg:
    pytest.skip("this build has no nvJPEG (FEEDGRAPH_NVJPEG is off)", allow_module_level=True)

import torch  # noqa: E402

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
CROP = "{random_resized_crop: {size: 64}}, random_flip"
NORMALIZE = f"to_chw, {{normalize: {{mean: {MEAN}, std: {STD}}}}}"


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    cli = os.environ.get("FEEDGRAPH_CLI")
    if not cli:
        pytest.skip("FEEDGRAPH_CLI (the feedgraph command, set by ctest) is not set")
    folder = tmp_path_factory.mktemp("gpu-decode") / "images"
    subprocess.run([cli, "make-dataset", "--kind", "images", "--samples", "64", "--size", "160x120",
                    "--size-jitter", "0.3", "--classes", "4", "--out", str(folder)], check=True,
                   stdout=subprocess.DEVNULL)
    return folder


def graph(folder, device, transforms, device_transforms):
    return (f"name: gpu-decode\ndevice: {device}\nbatch_size: 16\nepochs: 2\nseed: 11\nwatchdog_s: 60\n"
            f"dataset: {{source: images, path: {folder}, shuffle: true}}\n"
            f"transforms: {transforms}\ndevice_transforms: {device_transforms}\n"
            "compute: {kernel: checksum}\nverify: true\n")


def host_pass(folder):
    ids, labels, pixels = [], [], []
    with feedgraph.Pipeline.from_yaml(graph(folder, "host", f"[decode_jpeg, {CROP}]", f"[{NORMALIZE}]")) as pipe:
        for batch in pipe:
            ids += list(batch.sample_ids)
            labels += numpy.from_dlpack(batch.labels).tolist()
            pixels.append(numpy.from_dlpack(batch.data).copy())
    return ids, labels, numpy.concatenate(pixels)


@pytest.mark.parametrize("hardware_load", [1, 0.5])
def test_device_decode_hands_torch_the_host_pipelines_crops_normalized_on_its_stream(images, hardware_load):
    host_ids, host_labels, host = host_pass(images)
    decode = f"{{decode_jpeg: {{backend: auto, hardware_load: {hardware_load}}}}}"
    ids, labels, pixels = [], [], []
    side = torch.cuda.Stream()
    with torch.cuda.stream(side), feedgraph.Pipeline.from_yaml(
            graph(images, "cuda", "[]", f"[{decode}, {CROP}, {NORMALIZE}]")) as pipe:
        assert pipe.plan["ragged"]  # the files crossed encoded
        for batch in pipe:
            x = torch.from_dlpack(batch.data)  # no copy; ready on `side`, the current stream
            y = torch.from_dlpack(batch.labels)
            assert x.is_cuda and x.dtype == torch.float32 and tuple(x.shape[1:]) == (3, 64, 64)
            ids += list(batch.sample_ids)
            labels += y.cpu().tolist()
            pixels.append((x * 1.0).cpu().numpy())  # a kernel on `side`, after the batch is ready
    device = numpy.concatenate(pixels)
    assert ids == host_ids and labels == host_labels
    assert device.shape == host.shape == (128, 3, 64, 64)
    # nvJPEG's IDCT and upsampling are not libjpeg-turbo's: the README states the measured difference (in 0-255
    # levels, mean 1.0-1.6 on uint8; after normalize about 2.6 on small images).
    levels = numpy.abs(device - host) * numpy.array(STD, dtype=numpy.float32).reshape(1, 3, 1, 1)
    assert levels.mean() < 3.5
