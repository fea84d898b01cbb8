# SPDX-License-Identifier: Apache-2.0
"""The node's lazy registration hook and the stream's unregistered-depth check (ROS-free)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.runtime.camera import CameraIntrinsics
from bridgenet_ros.stream.extrinsic import Extrinsic
from bridgenet_ros.stream.frame_stream import DEPTH, RGB, FrameStream
from bridgenet_ros.stream.params import NodeConfig
from bridgenet_ros.stream.registration_hook import RegistrationHook

RGB_HW = (48, 64)
DEPTH_HW = (12, 16)
T0 = 1_700_000_000_000_000_000


def _info(height: int, width: int, fx: float) -> Any:
    k = [fx, 0.0, (width - 1) / 2, 0.0, fx, (height - 1) / 2, 0.0, 0.0, 1.0]
    return SimpleNamespace(height=height, width=width, k=k, p=[0.0] * 12)


class FakeTf:
    """An extrinsic source that fails until ``ready`` (like TF before the static transform)."""

    def __init__(self) -> None:
        self.ready = False
        self.asked: list[tuple[str, str]] = []

    def extrinsic(self, rgb_frame: str, depth_frame: str) -> Extrinsic:
        self.asked.append((rgb_frame, depth_frame))
        if not self.ready:
            raise DataError(f"TF lookup {rgb_frame} <- {depth_frame} failed")
        return Extrinsic.identity()


def test_hook_waits_for_rgb_info_and_extrinsic_then_builds_once() -> None:
    source = FakeTf()
    hook = RegistrationHook(source=source)
    depth = np.full(DEPTH_HW, 2.0, np.float32)
    depth_info = CameraIntrinsics(DEPTH_HW[1], DEPTH_HW[0], np.asarray(_info(*DEPTH_HW, 13.0).k))
    with pytest.raises(DataError, match="rgb/camera_info"):
        hook(depth, depth_info)
    hook.set_rgb_camera_info(_info(*RGB_HW, 52.0))
    hook.set_frame_ids("rgb_optical", "depth_optical")
    with pytest.raises(DataError, match="TF lookup rgb_optical <- depth_optical"):
        hook(depth, depth_info)
    source.ready = True
    out = hook(depth, depth_info)
    assert out.shape == (12, 16) and np.nanmedian(out) == pytest.approx(2.0)
    hook(depth, depth_info)
    hook.set_rgb_camera_info(_info(*RGB_HW, 52.0))  # the same camera again: no rebuild
    hook(depth, depth_info)
    assert hook.builds == 1
    hook.set_rgb_camera_info(_info(*RGB_HW, 40.0))  # recalibrated: rebuilt
    hook(depth, depth_info)
    assert hook.builds == 2
    hook.set_rgb_camera_info(SimpleNamespace(height=48, width=64, k=[0.0] * 9, p=[0.0] * 12))
    assert hook.registrar().rgb_info.k[0, 0] == pytest.approx(40.0)  # all-zero K ignored


def test_hook_needs_exactly_one_extrinsic_source() -> None:
    with pytest.raises(ConfigError):
        RegistrationHook()
    with pytest.raises(ConfigError):
        RegistrationHook(extrinsic=Extrinsic.identity(), source=FakeTf())


def _image(array: np.ndarray, encoding: str, stamp_ns: int) -> Any:
    from bridgenet_ros.stream.codec import array_to_image_fields
    from bridgenet_ros.stream.stamps import ns_to_sec_nanosec

    fields = array_to_image_fields(array, encoding)
    sec, nanosec = ns_to_sec_nanosec(stamp_ns)
    return SimpleNamespace(
        header=SimpleNamespace(stamp=SimpleNamespace(sec=sec, nanosec=nanosec), frame_id="c"),
        height=fields.height,
        width=fields.width,
        encoding=fields.encoding,
        is_bigendian=fields.is_bigendian,
        step=fields.step,
        data=fields.data,
    )


@pytest.mark.parametrize(("depth_fx", "differs"), [(13.0, False), (8.0, True)])
def test_unregistered_depth_is_counted_and_warned(
    stream_pipeline: Any, depth_fx: float, differs: bool
) -> None:
    """Depth camera of another field of view than the RGB's, no registrar: counted per frame."""
    warnings: list[str] = []
    stream = FrameStream(stream_pipeline, NodeConfig(), warn=warnings.append)
    stream.set_camera_info(_info(*RGB_HW, 52.0))  # 0.8 x width
    stream.set_depth_camera_info(_info(*DEPTH_HW, depth_fx))  # 13 = 0.8 x 16: aligned
    rgb = np.zeros((*RGB_HW, 3), np.uint8)
    depth = np.full(DEPTH_HW, 2000, np.uint16)
    for k in range(3):
        stamp = T0 + k * 100_000_000
        stream.offer(RGB, _image(rgb, "rgb8", stamp))
        frame = stream.offer(DEPTH, _image(depth, "16UC1", stamp))
        assert frame is not None and stream.process(frame) is not None
    assert stream.stats()["depth_not_registered"] == (3 if differs else 0)
    assert len([w for w in warnings if "depth_not_registered" in w]) == (1 if differs else 0)
    if differs:
        assert "field of view" in warnings[0] and "register_depth: true" in warnings[0]
    stream.registrar = lambda depth_m, info: depth_m  # registration on: no check
    stream.offer(RGB, _image(rgb, "rgb8", T0 + 10**9))
    frame = stream.offer(DEPTH, _image(depth, "16UC1", T0 + 10**9))
    assert frame is not None and stream.process(frame) is not None
    assert stream.stats()["depth_not_registered"] == (3 if differs else 0)
