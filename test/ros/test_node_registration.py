# SPDX-License-Identifier: Apache-2.0
"""Registration in the node (real rclpy): one scene rendered from a depth and a colour camera.

The depth camera sits 6 cm beside the colour camera, turned by 3.4 degrees, with a wider field of
view and half the pixels; each camera has its own camera_info and frame id. With
``register_depth`` and ``depth_to_rgb`` the node's output agrees with the colour camera's own
depth; without, it is far off and the node warns ``depth_not_registered``. Also: deployment
graphs in the node (run-time depth limits refused, not crashed).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np
import pytest

from bridgenet_ros.data.synthetic import render_scene
from bridgenet_ros.errors import ConfigError
from bridgenet_ros.stream.extrinsic import Extrinsic

pytestmark = [pytest.mark.ros, pytest.mark.slow]

rclpy = pytest.importorskip("rclpy", reason="rclpy (ros-jazzy-rclpy wheels) is not installed")

from rclpy.parameter import Parameter  # noqa: E402
from sensor_msgs.msg import CameraInfo  # noqa: E402

from bridgenet_ros.ros.node import BridgeNetNode  # noqa: E402

RGB_HW = (96, 128)
DEPTH_HW = (48, 64)
RGB_FRAME, DEPTH_FRAME = "rgb_optical_frame", "depth_optical_frame"
_Q = np.array([0.0, 0.03, 0.0, 1.0]) / np.linalg.norm([0.0, 0.03, 0.0, 1.0])
#: depth optical frame from the colour optical frame (how the depth camera is placed)
DEPTH_FROM_RGB = Extrinsic.from_quaternion([0.06, 0.01, 0.0], _Q.tolist())
#: the node's parameter: depth -> colour, [x, y, z, qx, qy, qz, qw]
_INV = DEPTH_FROM_RGB.inverse().to_mapping()
DEPTH_TO_RGB = [*_INV["translation"], *_INV["rotation_xyzw"]]


def _k(height: int, width: int, fx: float) -> np.ndarray:
    return np.array([[fx, 0, (width - 1) / 2], [0, fx, (height - 1) / 2], [0, 0, 1.0]])


K_RGB = _k(*RGB_HW, 0.8 * RGB_HW[1])  # 77 x 62 deg
K_DEPTH = _k(*DEPTH_HW, 0.55 * DEPTH_HW[1])  # 85 x 71 deg, half the pixels per axis


def _info(hw: tuple[int, int], k: np.ndarray, frame_id: str, stamp_ns: int) -> CameraInfo:
    info = CameraInfo()
    info.header.stamp.sec, info.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    info.header.frame_id = frame_id
    info.height, info.width = hw
    info.distortion_model = "plumb_bob"
    info.d = [0.0] * 5
    info.k = k.reshape(-1).tolist()
    info.r = np.eye(3).reshape(-1).tolist()
    info.p = np.hstack([k, np.zeros((3, 1))]).reshape(-1).tolist()
    return info


def _params(model: Path, **values: Any) -> list[Parameter]:
    base = {"model_path": str(model), "backend": "torch", **values}
    return [Parameter(name, value=value) for name, value in base.items()]


@pytest.fixture(scope="module")
def two_views() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rgb, colour-view depth (truth), depth-camera view)`` of one rendered scene."""

    def rng() -> np.random.Generator:
        return np.random.default_rng([5, 0])

    rgb, truth, _ = render_scene(rng(), *RGB_HW, intrinsics=K_RGB)
    _, depth_view, _ = render_scene(
        rng(),
        *DEPTH_HW,
        view_from_ref=(DEPTH_FROM_RGB.rotation, DEPTH_FROM_RGB.translation),
        intrinsics=K_DEPTH,
    )
    return rgb, truth, depth_view


def _publish(harness: Any, helpers: Any, views: tuple[np.ndarray, ...]) -> int:
    """Publish both camera_infos, wait for them, then one pair; its stamp."""
    rgb, _, depth_view = views
    harness.wait_connected()
    stamp = harness.client.get_clock().now().nanoseconds
    node = harness.node
    harness.pub_info.publish(_info(RGB_HW, K_RGB, RGB_FRAME, stamp))
    harness.pub_depth_info.publish(_info(DEPTH_HW, K_DEPTH, DEPTH_FRAME, stamp))
    harness.wait_for(
        lambda: node.stream.camera_info is not None and node.stream.depth_camera_info is not None,
        20,
        "both camera_infos",
    )
    harness.publish_pair(
        helpers.image_msg(rgb, "rgb8", stamp, RGB_FRAME),
        helpers.image_msg(depth_view.astype(np.float32), "32FC1", stamp + 3_000_000, DEPTH_FRAME),
    )
    return int(stamp)


def _run_pair(harness: Any, helpers: Any, views: tuple[np.ndarray, ...]) -> np.ndarray:
    """Publish both camera_infos and one pair; the decoded depth_sr of the pair."""
    out = harness.wait_output(_publish(harness, helpers, views), timeout=30)
    assert out.header.frame_id == RGB_FRAME and (out.height, out.width) == RGB_HW
    return np.frombuffer(bytes(out.data), dtype=np.float32).reshape(RGB_HW)


def _diagnostic(harness: Any, key: str) -> str | None:
    """The latest /diagnostics value of ``key`` published by the harness's node."""
    name = f"{harness.node.get_fully_qualified_name().lstrip('/')}: depth super-resolution"
    with harness.lock:
        arrays = list(harness.diagnostics)
    for array in reversed(arrays):
        for status in array.status:
            if status.name == name:
                return next((kv.value for kv in status.values if kv.key == key), None)
    return None


def _agreement(depth_sr: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """``(median relative error, share within 5 %)`` over the output's valid pixels."""
    valid = np.isfinite(depth_sr)
    assert valid.mean() > 0.9
    rel = np.abs(depth_sr[valid] - truth[valid]) / truth[valid]
    return float(np.median(rel)), float(np.mean(rel < 0.05))


def test_registered_depth_agrees_with_the_colour_view(
    make_harness: Callable[..., Any], ros_helpers: Any, two_views: Any
) -> None:
    registered = make_harness(register_depth=True, depth_to_rgb=DEPTH_TO_RGB)
    assert registered.node.describe_parameter("depth_to_rgb").read_only
    median, within = _agreement(_run_pair(registered, ros_helpers, two_views), two_views[1])
    stats = registered.node.stats()
    assert stats["registration_failed"] == 0 and stats["depth_not_registered"] == 0
    assert registered.node.registration is not None and registered.node.registration.builds == 1

    plain = make_harness(diagnostics_period=0.2)
    warnings: list[str] = []
    plain.node.stream.warn = warnings.append
    median_raw, within_raw = _agreement(_run_pair(plain, ros_helpers, two_views), two_views[1])
    assert plain.node.stats()["depth_not_registered"] == 1
    assert any("depth_not_registered" in w and "register_depth" in w for w in warnings)
    plain.wait_for(lambda: _diagnostic(plain, "depth_not_registered") == "1", 10, "diagnostics")

    # measured: registered 0.7 % median error, 95 % within 5 %; unregistered 10 %, 24 %
    assert median < 0.02 and within > 0.85
    assert median_raw > 5 * median and within_raw < 0.5


def test_registration_waits_for_the_depth_camera_info(
    make_harness: Callable[..., Any], ros_helpers: Any, two_views: Any
) -> None:
    """No depth camera_info: counted as registration_failed, no output, the node keeps going."""
    harness = make_harness(register_depth=True, depth_to_rgb=DEPTH_TO_RGB)
    harness.wait_connected()
    rgb, _, depth_view = two_views
    stamp = harness.client.get_clock().now().nanoseconds
    harness.pub_info.publish(_info(RGB_HW, K_RGB, RGB_FRAME, stamp))
    harness.wait_for(lambda: harness.node.stream.camera_info is not None, 20, "rgb camera_info")
    harness.publish_pair(
        ros_helpers.image_msg(rgb, "rgb8", stamp, RGB_FRAME),
        ros_helpers.image_msg(depth_view.astype(np.float32), "32FC1", stamp, DEPTH_FRAME),
    )
    harness.wait_for(
        lambda: harness.node.stats()["registration_failed"] == 1, 20, "registration_failed"
    )
    time.sleep(0.2)
    assert harness.node.stats()["outputs"] == 0 and harness.node.worker_alive


def test_extrinsic_from_tf_needs_tf2_ros(ros_context: Any, test_model_path: Path) -> None:
    if importlib.util.find_spec("tf2_ros") is not None:
        pytest.skip("tf2_ros is installed: the TF path is tested in a ROS 2 workspace")
    with pytest.raises(ConfigError, match="tf2_ros"):
        BridgeNetNode(
            context=ros_context,
            parameter_overrides=_params(
                test_model_path, register_depth=True, depth_to_rgb_from_tf=True
            ),
        )


class FakeTfBuffer:
    """``tf2_ros.Buffer.lookup_transform`` that fails until the transform is "published"."""

    def __init__(self) -> None:
        self.published = False
        self.lookups: list[tuple[str, str]] = []

    def lookup_transform(self, target: str, source: str, time: Any, **kwargs: Any) -> Any:
        self.lookups.append((target, source))
        if not self.published:
            raise LookupError(f'"{target}" passed to lookupTransform does not exist')
        t, q = DEPTH_TO_RGB[:3], DEPTH_TO_RGB[3:]
        return SimpleNamespace(
            transform=SimpleNamespace(
                translation=SimpleNamespace(x=t[0], y=t[1], z=t[2]),
                rotation=SimpleNamespace(x=q[0], y=q[1], z=q[2], w=q[3]),
            )
        )


def test_extrinsic_from_tf_between_the_image_frame_ids(
    make_harness: Callable[..., Any],
    ros_helpers: Any,
    two_views: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``depth_to_rgb_from_tf``: frames dropped (counted) until TF has the transform, then used.

    ``tf2_ros`` is replaced by a buffer with its lookup signature (tf2_ros has no PyPI wheel);
    the node's own wiring (frame ids of the images, lazy build) is what is tested.
    """
    from bridgenet_ros.ros import tf_extrinsic
    from bridgenet_ros.stream.extrinsic import TfExtrinsicSource

    buffer = FakeTfBuffer()
    monkeypatch.setattr(
        tf_extrinsic, "tf_extrinsic_source", lambda node: TfExtrinsicSource(buffer, None)
    )
    harness = make_harness(register_depth=True, depth_to_rgb_from_tf=True)
    warnings: list[str] = []
    harness.node.stream.warn = warnings.append
    _publish(harness, ros_helpers, two_views)
    harness.wait_for(
        lambda: harness.node.stats()["registration_failed"] == 1, 20, "registration_failed"
    )
    assert any("TF lookup rgb_optical_frame <- depth_optical_frame" in w for w in warnings)
    buffer.published = True
    median, within = _agreement(_run_pair(harness, ros_helpers, two_views), two_views[1])
    assert buffer.lookups[-1] == (RGB_FRAME, DEPTH_FRAME)
    assert median < 0.02 and within > 0.85
    _run_pair(harness, ros_helpers, two_views)
    assert len(buffer.lookups) == 2  # kept after the first success


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"register_depth": True}, "no extrinsic is given"),
        ({"register_depth": True, "depth_to_rgb": [0.0, 0.0, 0.0]}, "expected 0 or 7"),
        ({"register_depth": True, "depth_to_rgb": [0, 0, 0, 0, 0, 0, 2]}, "unit quaternion"),
    ],
)
def test_bad_registration_parameters_fail_at_start_up(
    ros_context: Any, test_model_path: Path, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        BridgeNetNode(context=ros_context, parameter_overrides=_params(test_model_path, **values))


# ------------------------------------------------------------------------ deployment graph


@pytest.fixture(scope="module")
def graph_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployment graph of the ``test`` model with the node's default depth limits."""
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    import torch

    from bridgenet_ros.export.pipeline_export import export_pipeline_onnx
    from bridgenet_ros.model import create_model
    from bridgenet_ros.runtime.graph_pipeline import GraphSettings

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("graph") / "graph.onnx"
    settings = GraphSettings(min_depth=0.1, max_depth=10.0)
    export_pipeline_onnx(create_model("test").eval(), path, settings, check=False)
    return path


def test_graph_pipeline_runs_and_refuses_run_time_depth_limits(
    make_harness: Callable[..., Any], ros_helpers: Any, graph_model: Path
) -> None:
    from bridgenet_ros.runtime.graph_pipeline import GraphPipeline

    harness = make_harness(model_path=str(graph_model), backend="onnxruntime")
    node = harness.node
    assert isinstance(node.pipeline, GraphPipeline)
    refused = node.set_parameters([Parameter("max_depth", value=5.0)])[0]
    assert not refused.successful and "baked into" in refused.reason
    assert node.config.max_depth == pytest.approx(10.0)
    assert node.get_parameter("max_depth").value == pytest.approx(10.0)
    assert node.pipeline.config.max_depth == pytest.approx(10.0)
    # other run-time parameters still change
    assert node.set_parameters([Parameter("sync_slop", value=0.1)])[0].successful
    harness.wait_connected()
    rgb, depth_mm = ros_helpers.scene()
    stamp = harness.client.get_clock().now().nanoseconds
    harness.publish_pair(
        ros_helpers.image_msg(rgb, "rgb8", stamp), ros_helpers.image_msg(depth_mm, "16UC1", stamp)
    )
    out = harness.wait_output(stamp, timeout=30)
    depth_sr = np.frombuffer(bytes(out.data), dtype=np.float32)
    assert np.isfinite(depth_sr).mean() > 0.9


def test_graph_with_other_limits_fails_at_start_up(
    ros_context: Any, graph_model: Path, test_model_path: Path
) -> None:
    with pytest.raises(ConfigError, match="deployment graph"):
        BridgeNetNode(
            context=ros_context,
            parameter_overrides=_params(graph_model, backend="onnxruntime", min_depth=0.5),
        )


def test_lens_distortion_is_warned_once_per_camera(
    make_harness: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = make_harness(register_depth=True, depth_to_rgb=DEPTH_TO_RGB)
    logged: list[str] = []
    monkeypatch.setattr(harness.node.get_logger(), "warning", logged.append)
    harness.wait_connected()
    distorted = _info(RGB_HW, K_RGB, RGB_FRAME, 0)
    distorted.d = [0.1, -0.05, 0.0, 0.0, 0.0]
    for _ in range(3):
        harness.pub_info.publish(distorted)
        harness.pub_depth_info.publish(_info(DEPTH_HW, K_DEPTH, DEPTH_FRAME, 0))
    harness.wait_for(
        lambda: harness.node.stream.depth_camera_info is not None
        and harness.node.stream.camera_info is not None,
        20,
        "camera_infos",
    )
    time.sleep(0.3)  # the later copies arrive too
    assert len([m for m in logged if "distortion" in m]) == 1
    assert logged[0].startswith("rgb camera_info has plumb_bob distortion [0.1, -0.05")
