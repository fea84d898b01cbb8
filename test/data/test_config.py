# SPDX-License-Identifier: Apache-2.0
"""DataConfig: typed, nested, validated at load; TrainConfig.data is one (typos fail at load)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bridgenet_ros.config_io import from_mapping, to_mapping
from bridgenet_ros.data.config import DataConfig, SensorModelChoice, SourceConfig
from bridgenet_ros.data.degradation import SensorModelConfig, StereoSensorConfig
from bridgenet_ros.errors import ConfigError
from bridgenet_ros.model.variants import variant_config
from bridgenet_ros.train.config import TrainConfig, load_train_config


def test_config_module_is_torch_free() -> None:
    code = (
        "import sys, bridgenet_ros.data.config, bridgenet_ros.data.sources, "
        "bridgenet_ros.data.sampling, bridgenet_ros.data.shards, bridgenet_ros.train.config; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nested_and_typed() -> None:
    cfg = from_mapping(
        DataConfig,
        {
            "sources": [{"kind": "synthetic", "texture_photos": ["rgbdd"]}],
            "crop_hw": [64, 96],
            "scale_range": [2, 8],
            "sensor_models": [{"weight": 3, "tof": {"noise_a_m": 0.002}}, {"stereo": {}}],
        },
    )
    assert isinstance(cfg.sources[0], SourceConfig) and cfg.sources[0].texture_photos == ("rgbdd",)
    assert cfg.crop_hw == (64, 96) and cfg.scale_range == (2.0, 8.0)
    assert all(isinstance(c, SensorModelChoice) for c in cfg.sensor_models)
    models, probs = cfg.sensor_mix
    assert isinstance(models[0], SensorModelConfig) and isinstance(models[1], StereoSensorConfig)
    assert probs == (0.75, 0.25)
    # the resolved mapping (config.yaml beside a run, checkpoint metadata) loads back equal
    assert from_mapping(DataConfig, yaml.safe_load(yaml.safe_dump(to_mapping(cfg)))) == cfg


@pytest.mark.parametrize(
    "mapping,field",
    [
        ({"sources": [{"kind": "synthetic", "hieght": 64}]}, "hieght"),
        ({"sensor_models": [{"stereo": {"baseline": 0.05}}]}, "baseline"),
        ({"sensor_models": [{"weight": 1.0}]}, "'tof', 'stereo' or 'lidar'"),
        ({"sensor_models": [{"stereo": {}, "tof": {}}]}, "exactly one"),
        ({"sensor_model": {}, "sensor_models": [{"stereo": {}}]}, "not both"),
        ({"sources": [{"kind": "named", "path": "x", "texture_photos": ["rgbdd"]}]}, "synthetic"),
        ({"crop_hw": [60, 64]}, "crop_hw"),
        ({"stride": 16, "crop_hw": [136, 136]}, "stride=16"),
        ({"sources": []}, "empty"),
        ({"sources": [{"kind": "shards"}]}, "path is required"),
    ],
)
def test_bad_values_name_the_field(mapping: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        from_mapping(DataConfig, mapping)


def test_train_yaml_typo_fails_at_load(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "variant: test\ndata:\n  sources: [{kind: synthetic}]\n  crop_hw: [64, 64]\n"
        "  sensor_model_probability: 0.5\n"
    )
    with pytest.raises(ConfigError, match=r"data.*sensor_model_probability"):
        load_train_config(path)
    path.write_text("variant: test\ndata:\n  sources: [{kind: synthetic, weight: -1}]\n")
    with pytest.raises(ConfigError, match="weight"):
        load_train_config(path)


def test_train_config_data_is_typed() -> None:
    assert isinstance(TrainConfig().data, DataConfig)
    cfg = TrainConfig(data={"crop_hw": [64, 64]})  # type: ignore[arg-type]
    assert isinstance(cfg.data, DataConfig) and cfg.data.crop_hw == (64, 64)
    with pytest.raises(ConfigError, match="train.data"):
        TrainConfig(data={"crop": [64, 64]})  # type: ignore[arg-type]


def test_every_shipped_training_yaml_loads(repo_root: Path) -> None:
    paths = sorted((repo_root / "config").glob("train_*.yaml"))
    assert len(paths) >= 9
    for path in paths:
        config = load_train_config(path)
        assert isinstance(config.data, DataConfig), path
        variant_config(config.variant, **dict(config.model))  # the model overrides are valid


def test_campaign_stage2_grows_the_shipped_model(repo_root: Path) -> None:
    config = load_train_config(repo_root / "config" / "train_campaign_lite_hr.yaml")
    model = variant_config(config.variant, **dict(config.model))
    assert model.residual_gate and model.dsr_refine_channels > 0 and model.residual_deadband > 0
    assert config.init_checkpoint == "models/bridgenet_lite.pt"


def test_campaign_config_mix_opens_on_training_splits_only(
    repo_root: Path, shared_data: Path
) -> None:
    from dataclasses import replace

    from bridgenet_ros.data.datasets import build_dataset
    from bridgenet_ros.data.splits import MIDDLEBURY_TRAIN_STEMS

    data = load_train_config(repo_root / "config" / "train_campaign_lite_gate.yaml").data
    dataset = build_dataset(replace(data, data_root=str(shared_data)))
    rgbdd, middlebury, synthetic = dataset.sources
    assert len(rgbdd) == 238 and set(middlebury.names) == MIDDLEBURY_TRAIN_STEMS
    assert len(synthetic.scenes.photos) == 238 + 18
    kinds = {type(m).__name__ for m in dataset.sensor_models}
    assert kinds == {"SensorModelConfig", "StereoSensorConfig"}
    sample = dataset[0]
    assert sample["rgb"].shape == (3, 192, 192)
