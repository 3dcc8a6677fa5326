"""decode_jpeg in device_transforms, seen from Python: a pass whose files cross the link encoded and are
decoded and cropped after the copy (on the host backend, its stand-in) hands the loop the same samples, crops
and flips as the pipeline that decodes on the host, within one level of rounding."""

import os
import subprocess

import numpy
import pytest

import feedgraph


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    cli = os.environ.get("FEEDGRAPH_CLI")
    if not cli:
        pytest.skip("FEEDGRAPH_CLI (the feedgraph command, set by ctest) is not set")
    folder = tmp_path_factory.mktemp("decode") / "images"
    subprocess.run([cli, "make-dataset", "--kind", "images", "--samples", "30", "--size", "80x60",
                    "--size-jitter", "0.3", "--classes", "3", "--out", str(folder)], check=True,
                   stdout=subprocess.DEVNULL)
    return folder


def graph(folder, transforms, device_transforms):
    return (f"name: decode\ndevice: host\nbatch_size: 4\nepochs: 2\nseed: 3\n"
            f"dataset: {{source: images, path: {folder}, shuffle: true}}\n"
            f"transforms: {transforms}\ndevice_transforms: {device_transforms}\ncompute: {{kernel: checksum}}\n")


def one_pass(yaml):
    ids, labels, pixels = [], [], []
    with feedgraph.Pipeline.from_yaml(yaml) as pipe:
        for batch in pipe:
            ids += list(batch.sample_ids)
            labels += numpy.from_dlpack(batch.labels).tolist()
            pixels.append(numpy.from_dlpack(batch.data).astype(numpy.int16))
        plan = pipe.plan
    return ids, labels, numpy.concatenate(pixels), plan


def test_device_decode_hands_the_loop_the_host_pipelines_crops_and_flips(images):
    crop = "{random_resized_crop: {size: 24}}, random_flip"
    host_ids, host_labels, host, _ = one_pass(graph(images, f"[decode_jpeg, {crop}]", "[]"))
    ids, labels, device, plan = one_pass(graph(images, "[]", f"[decode_jpeg, {crop}]"))
    assert plan["ragged"] and plan["transfer_layout"]["shape"] == [None]  # encoded files crossed
    assert device.shape == (60, 24, 24, 3) and host.shape == device.shape
    assert ids == host_ids and labels == host_labels
    diff = numpy.abs(device - host)
    assert diff.max() <= 1 and (diff > 0).mean() < 0.05
