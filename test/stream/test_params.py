# SPDX-License-Identifier: Apache-2.0
"""NodeConfig validation and model path resolution (ROS-free)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.stream.params import (
    PARAMETERS,
    NodeConfig,
    config_from_mapping,
    default_model_path,
    installed_share_dir,
    resolve_model_path,
)


def test_defaults_are_valid_and_cover_every_parameter() -> None:
    config = NodeConfig()
    assert {spec.name for spec in PARAMETERS} == set(vars(config))
    assert config.output_resolution == "rgb" and config.backend == "auto"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"backend": "cuda"}, r"backend='cuda': expected one of"),
        ({"precision": "int4"}, "precision"),
        ({"output_resolution": "full"}, "output_resolution"),
        ({"sync_queue_size": 0}, r"sync_queue_size=0: must be >= 1"),
        ({"sync_queue_size": 2.5}, "expected an integer"),
        ({"sync_queue_size": True}, "expected an integer"),
        ({"sync_slop": -0.1}, "sync_slop"),
        ({"sync_slop": float("nan")}, "finite"),
        ({"diagnostics_period": 0.0}, "diagnostics_period"),
        ({"min_depth": 5.0, "max_depth": 4.0}, "must be below max_depth"),
        ({"model_height": 480}, "both be 0"),
        ({"model_path": "model.tflite"}, r"\.onnx"),
        ({"publish_mde": "yes"}, "true or false"),
        ({"max_input_pixels": 0}, "max_input_pixels"),
        ({"register_depth": True}, "no extrinsic is given"),
        ({"register_depth": 1}, "true or false"),
        ({"depth_to_rgb": [0.0, 0.1, 0.2]}, r"depth_to_rgb=\[0.0, 0.1, 0.2\]: expected 0 or 7"),
        ({"depth_to_rgb": "0 0 0 0 0 0 1"}, "list of numbers"),
        ({"depth_to_rgb": [0, 0, 0, 0, 0, 0, float("nan")]}, "finite"),
        ({"depth_to_rgb": [0, 0, 0, 0.5, 0.5, 0, 0]}, "unit quaternion"),
        ({"depth_to_rgb": [50, 0, 0, 0, 0, 0, 1]}, "give it in metres"),
        (
            {"register_depth": True, "depth_to_rgb_from_tf": True, "depth_to_rgb": [0] * 6 + [1]},
            "give the extrinsic once",
        ),
    ],
)
def test_invalid_values_name_field_and_value(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        NodeConfig().replace(**changes)


def test_valid_changes_and_int_to_float() -> None:
    config = NodeConfig().replace(
        sync_slop=0, model_height=480, model_width=640, model_path="x.engine"
    )
    assert isinstance(config.sync_slop, float) and config.model_width == 640


def test_depth_to_rgb_is_a_flat_extrinsic() -> None:
    config = NodeConfig(register_depth=True, depth_to_rgb=[0.05, 0, 0, 0, 0, 0, 1])
    assert config.depth_to_rgb == (0.05, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)  # ints -> floats, tuple
    extrinsic = config.extrinsic()
    assert extrinsic is not None
    assert extrinsic.translation.tolist() == [0.05, 0.0, 0.0]
    assert NodeConfig().extrinsic() is None
    assert NodeConfig(register_depth=True, depth_to_rgb_from_tf=True).extrinsic() is None


def test_backend_choices_are_the_runtime_backend_names() -> None:
    from bridgenet_ros.runtime.backends import BACKEND_NAMES
    from bridgenet_ros.stream import params

    assert not hasattr(params, "BACKENDS")  # one definition: runtime.backends.BACKEND_NAMES
    assert next(s for s in PARAMETERS if s.name == "backend").choices is BACKEND_NAMES


def test_unknown_names_are_rejected() -> None:
    with pytest.raises(ConfigError, match="unknown parameter"):
        config_from_mapping({"sync_slope": 0.1})
    with pytest.raises(ConfigError, match="unknown parameter"):
        NodeConfig().replace(sync_slope=0.1)


def test_read_only_split() -> None:
    read_only = {spec.name for spec in PARAMETERS if spec.read_only}
    assert read_only == {
        "model_path",
        "backend",
        "precision",
        "engine_cache_dir",
        "force_engine_rebuild",
        "cpu_threads",
        "model_height",
        "model_width",
        "output_resolution",
        "input_reliability",
        "align_depth",
        "flat_guard",
        "register_depth",
        "depth_to_rgb",
        "depth_to_rgb_from_tf",
    }


def test_model_path_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMENT_PREFIX_PATH", raising=False)
    repo_default = default_model_path()
    assert repo_default == Path(__file__).resolve().parents[2] / "models" / "bridgenet_lite.onnx"
    index = tmp_path / "prefix" / "share" / "ament_index" / "resource_index" / "packages"
    index.mkdir(parents=True)
    (index / "bridgenet_ros").write_text("")
    (tmp_path / "prefix" / "share" / "bridgenet_ros").mkdir()
    other = tmp_path / "other"  # an earlier prefix without the package is skipped
    other.mkdir()
    monkeypatch.setenv(
        "AMENT_PREFIX_PATH", os.pathsep.join([str(other), str(tmp_path / "prefix")])
    )
    assert default_model_path() == (
        tmp_path / "prefix" / "share" / "bridgenet_ros" / "models" / "bridgenet_lite.onnx"
    )
    try:  # the stream layer reads the ament index itself: it must agree with ament_index_python
        from ament_index_python.packages import get_package_share_directory
    except ImportError:
        pass
    else:
        assert Path(get_package_share_directory("bridgenet_ros")) == installed_share_dir()
    model = tmp_path / "m.onnx"
    model.write_bytes(b"x")
    assert resolve_model_path(NodeConfig(model_path=str(model))) == model
    missing = tmp_path / "none.onnx"
    with pytest.raises(ConfigError, match=r"does not exist.*bridgenet export --model"):
        resolve_model_path(NodeConfig(model_path=str(missing)))


def test_default_falls_back_to_shipped_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bridgenet_ros.stream.params as params

    onnx = tmp_path / "bridgenet_lite.onnx"
    monkeypatch.setattr(params, "default_model_path", lambda: onnx)
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_model_path(NodeConfig())
    onnx.with_suffix(".pt").write_bytes(b"x")
    assert resolve_model_path(NodeConfig()) == onnx.with_suffix(".pt")
    onnx.write_bytes(b"x")
    assert resolve_model_path(NodeConfig()) == onnx


def test_default_max_input_pixels_is_4k_uhd() -> None:
    # 4096x4096 let one message stall the node ~30 s and take ~6 GB (issue 13)
    assert NodeConfig().max_input_pixels == 3840 * 2160
    assert NodeConfig(max_input_pixels=4056 * 3040).max_input_pixels == 4056 * 3040  # 12 MP ok
