# SPDX-License-Identifier: Apache-2.0
"""Pre-built sample shards: the same samples as on the fly, the CLI, errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from bridgenet_ros.cli.main import main
from bridgenet_ros.config_io import from_mapping
from bridgenet_ros.data.config import DataConfig, SourceConfig
from bridgenet_ros.data.datasets import build_dataset
from bridgenet_ros.data.shards import ShardSet, write_training_shards
from bridgenet_ros.errors import ConfigError, DataError

MAPPING = {
    "sources": [{"kind": "synthetic", "height": 64, "width": 80}],
    "crop_hw": [32, 48],
    "samples_per_epoch": 6,
    "scale_range": [2, 6],
    "sensor_models": [{"tof": {}}, {"stereo": {}}, {"lidar": {}}],
    "sensor_model_prob": 0.7,
    "seed": 4,
}


def _shards(tmp_path: Path, samples: int = 14) -> tuple[DataConfig, Path]:
    config = from_mapping(DataConfig, MAPPING)
    out = tmp_path / "shards"
    write_training_shards(config, out, samples, shard_size=5)
    return config, out


def test_shard_samples_equal_on_the_fly_samples(tmp_path: Path) -> None:
    config, out = _shards(tmp_path)
    assert sorted(p.name for p in out.glob("shard_*.rgb.npy")) == [
        "shard_00000.rgb.npy",
        "shard_00001.rgb.npy",
        "shard_00002.rgb.npy",
    ]
    fly = build_dataset(config)
    sharded = build_dataset(replace(config, sources=(SourceConfig("shards", path=str(out)),)))
    compared = 0
    for epoch in range(3):
        fly.set_epoch(epoch)
        sharded.set_epoch(epoch)
        for i in range(6):
            if epoch * 6 + i >= 14:
                break
            a, b = fly.sample_arrays(i), sharded.sample_arrays(i)
            assert a.keys() == b.keys()
            for key in a:
                assert a[key].dtype == b[key].dtype, key
                np.testing.assert_array_equal(a[key], b[key], err_msg=key)
            compared += 1
    assert compared == 14
    tensors = sharded[0]
    assert tensors["rgb"].dtype == torch.float32 and tensors["mask_valid"].shape == (1, 32, 48)
    # samples with a sensor model are in there (their LR has holes, stereo steps or beam rows)
    assert len({float(sharded.sample_arrays(i)["scale"]) for i in range(6)}) == 6


def test_shards_mixed_and_errors(tmp_path: Path) -> None:
    config, out = _shards(tmp_path, samples=3)
    shards = ShardSet(out)
    stored = [shards.sample(j)["depth_hr_norm"] for j in range(3)]
    mixed = replace(
        config,
        sources=(SourceConfig("shards", path=str(out), weight=1e9), config.sources[0]),
    )
    sample = build_dataset(mixed).sample_arrays(0)["depth_hr_norm"]
    assert any(np.array_equal(sample, s) for s in stored)
    with pytest.raises(DataError, match="has a val frame"):
        build_dataset(replace(config, sources=(SourceConfig("shards", path=str(out)),)), "val")
    with pytest.raises(DataError, match="crop"):
        build_dataset(
            replace(config, crop_hw=(32, 32), sources=(SourceConfig("shards", path=str(out)),))
        )
    with pytest.raises(DataError, match="already holds shards"):
        write_training_shards(config, out, 2)
    with pytest.raises(DataError, match="build-shards"):
        ShardSet(tmp_path / "nothing")
    with pytest.raises(IndexError):
        shards.sample(3)


def test_cli_build_shards_and_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "variant: test\n"
        "data:\n"
        "  sources: [{kind: synthetic, height: 64, width: 64}]\n"
        "  crop_hw: [32, 32]\n"
        "  samples_per_epoch: 4\n"
    )
    out = tmp_path / "shards"
    assert (
        main(
            ["data", "build-shards", "--config", str(config), "--out", str(out), "--samples", "5"]
        )
        == 0
    )
    assert len(ShardSet(out)) == 5
    args = ["data", "bench", "--config", str(config), "--shards", str(out)]
    assert main([*args, "--samples", "3", "--repeats", "2"]) == 0
    printed = capsys.readouterr().out
    assert "on the fly: median" in printed and f"shards {out}: median" in printed
    assert (
        main(
            ["data", "build-shards", "--config", str(config), "--out", str(out), "--samples", "2"]
        )
        == 1
    )
    assert main(["data"]) == 2


def _flat(rgb: np.ndarray) -> bool:
    return bool(np.all(rgb == rgb[:, :1, :1]))


def test_guidance_dropout_flattens_rgb_only_and_is_not_baked_into_shards(tmp_path: Path) -> None:
    config, _ = _shards(tmp_path)
    dropping = replace(config, rgb_dropout_prob=0.5)
    out = tmp_path / "dropping"
    write_training_shards(dropping, out, 12, shard_size=6)
    plain, fly = build_dataset(config), build_dataset(dropping)
    sharded = build_dataset(replace(dropping, sources=(SourceConfig("shards", path=str(out)),)))
    flattened = 0
    for epoch in range(2):
        for dataset in (plain, fly, sharded):
            dataset.set_epoch(epoch)
        for i in range(6):
            a, b, c = plain.sample_arrays(i), fly.sample_arrays(i), sharded.sample_arrays(i)
            for key in a:
                np.testing.assert_array_equal(b[key], c[key], err_msg=key)  # dropped once only
                if key != "rgb":
                    np.testing.assert_array_equal(a[key], b[key], err_msg=key)
            assert not _flat(a["rgb"])
            if _flat(b["rgb"]):
                flattened += 1
                np.testing.assert_allclose(b["rgb"][:, 0, 0], a["rgb"].mean(axis=(1, 2)), 1e-5)
            else:
                np.testing.assert_array_equal(a["rgb"], b["rgb"])
    assert 1 <= flattened <= 11


def test_guidance_dropout_probability_is_checked() -> None:
    with pytest.raises(ConfigError, match="rgb_dropout_prob"):
        from_mapping(DataConfig, {**MAPPING, "rgb_dropout_prob": 1.5})
