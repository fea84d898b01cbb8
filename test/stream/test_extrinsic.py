# SPDX-License-Identifier: Apache-2.0
"""The depth -> colour extrinsic: parameter parsing and validation, TF lookup (fake Buffer)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.stream.extrinsic import (
    Extrinsic,
    TfExtrinsicSource,
    extrinsic_from_transform,
    lookup_extrinsic,
)

S = float(np.sqrt(0.5))


def test_quaternion_and_translation_map_points_like_tf() -> None:
    # 90 degrees about z: x -> y; then 5 cm along x
    ext = Extrinsic.from_mapping(
        {"translation": [0.05, 0.0, 0.0], "rotation_xyzw": [0.0, 0.0, S, S]}
    )
    np.testing.assert_allclose(ext.apply(np.array([1.0, 0.0, 0.0])), [0.05, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(ext.apply(np.zeros((2, 3))), [[0.05, 0, 0], [0.05, 0, 0]])
    points = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(ext.inverse().apply(ext.apply(points)), points, atol=1e-12)


def test_mapping_round_trip_and_flat_list() -> None:
    q = np.array([0.1, -0.2, 0.3, 0.9])
    q /= np.linalg.norm(q)
    ext = Extrinsic.from_mapping({"translation": [0.01, 0.02, -0.03], "rotation_xyzw": q})
    mapping = ext.to_mapping()
    np.testing.assert_allclose(mapping["rotation_xyzw"], q, atol=1e-12)
    np.testing.assert_allclose(mapping["translation"], [0.01, 0.02, -0.03])
    again = Extrinsic.from_mapping(mapping)
    np.testing.assert_allclose(again.rotation, ext.rotation, atol=1e-12)
    flat = Extrinsic.from_mapping([0.01, 0.02, -0.03, *q])
    np.testing.assert_allclose(flat.rotation, ext.rotation, atol=1e-12)
    # w < 0 and each branch of the matrix -> quaternion conversion
    for q in ([0, 0, 0, -1], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0.7, 0.1, 0.1, 0.1]):
        q_unit = np.asarray(q, float) / np.linalg.norm(q)
        ext = Extrinsic.from_quaternion([0, 0, 0], q_unit)
        back = Extrinsic.from_quaternion([0, 0, 0], ext.to_mapping()["rotation_xyzw"])
        np.testing.assert_allclose(back.rotation, ext.rotation, atol=1e-12)
    # a quaternion within 1 % of unit length is normalized
    near = Extrinsic.from_quaternion([0, 0, 0], [0, 0, 0, 1.005])
    np.testing.assert_allclose(near.rotation, np.eye(3))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"translation": [0, 0, 0]}, "missing \\['rotation_xyzw'\\]"),
        ({"translation": [0, 0, 0], "rotation_xyzw": [0, 0, 0, 1], "x": 1}, "unknown \\['x'\\]"),
        ({"translation": [0, 0], "rotation_xyzw": [0, 0, 0, 1]}, "translation must be 3"),
        ({"translation": "0 0 0", "rotation_xyzw": [0, 0, 0, 1]}, "list of 3 numbers"),
        ({"translation": [0, 0, "a"], "rotation_xyzw": [0, 0, 0, 1]}, "list of 3 numbers"),
        ({"translation": [0, 0, float("nan")], "rotation_xyzw": [0, 0, 0, 1]}, "finite"),
        ({"translation": [0, 0, 0], "rotation_xyzw": [0, 0, 90, 0]}, "unit quaternion"),
        ({"translation": [0, 0, 0], "rotation_xyzw": [0, 0, 0, 0]}, "unit quaternion"),
        ({"translation": [50, 0, 0], "rotation_xyzw": [0, 0, 0, 1]}, "give it in metres"),
        ([0, 0, 0, 0, 0, 0], "7 finite numbers"),
        (None, "list of 7 numbers"),
    ],
)
def test_bad_parameter_values_are_config_errors(value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Extrinsic.from_mapping(value)


def test_bad_matrices_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="not a rotation"):
        Extrinsic(np.diag([1.0, 1.0, -1.0]), np.zeros(3))  # a reflection
    with pytest.raises(ConfigError, match="not a rotation"):
        Extrinsic(np.eye(3) * 1.1, np.zeros(3))
    with pytest.raises(ConfigError, match=r"\(3, 3\) rotation"):
        Extrinsic(np.eye(4), np.zeros(3))
    ext = Extrinsic.identity()
    with pytest.raises(ValueError):
        ext.rotation[0, 0] = 2.0  # read-only


# --------------------------------------------------------------------------------------- TF


def _stamped(t: list[float], q: list[float]) -> SimpleNamespace:
    """A geometry_msgs/TransformStamped look-alike."""
    return SimpleNamespace(
        header=SimpleNamespace(frame_id="rgb"),
        child_frame_id="depth",
        transform=SimpleNamespace(
            translation=SimpleNamespace(x=t[0], y=t[1], z=t[2]),
            rotation=SimpleNamespace(x=q[0], y=q[1], z=q[2], w=q[3]),
        ),
    )


class FakeBuffer:
    """tf2_ros.Buffer's lookup_transform(target_frame, source_frame, time, timeout=...)."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[Any, ...]] = []

    def lookup_transform(
        self, target_frame: str, source_frame: str, time: Any, timeout: Any = None
    ) -> Any:
        self.calls.append((target_frame, source_frame, time, timeout))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeLookupError(Exception):
    """Stands in for tf2_ros.LookupException."""


def test_lookup_asks_for_rgb_from_depth_and_converts() -> None:
    buffer = FakeBuffer([_stamped([0.015, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0])])
    time, timeout = object(), object()
    ext = lookup_extrinsic(buffer, "cam_color_optical", "cam_depth_optical", time, timeout)
    assert buffer.calls == [("cam_color_optical", "cam_depth_optical", time, timeout)]
    np.testing.assert_allclose(ext.translation, [0.015, 0, 0])
    np.testing.assert_allclose(ext.rotation, np.eye(3))
    bare = extrinsic_from_transform(_stamped([0, 0, 0], [0, 0, S, S]).transform)
    np.testing.assert_allclose(bare.apply([1.0, 0, 0]), [0, 1.0, 0], atol=1e-12)


def test_lookup_failures_are_data_errors() -> None:
    buffer = FakeBuffer([FakeLookupError('"depth" passed to lookupTransform does not exist')])
    with pytest.raises(DataError, match="TF lookup rgb <- depth failed .*FakeLookupError") as info:
        lookup_extrinsic(buffer, "rgb", "depth", None)
    assert isinstance(info.value.__cause__, FakeLookupError)
    with pytest.raises(DataError, match="empty frame_id"):
        lookup_extrinsic(FakeBuffer([]), "", "depth", None)
    with pytest.raises(DataError, match="unusable.*metres"):
        lookup_extrinsic(FakeBuffer([_stamped([15.0, 0, 0], [0, 0, 0, 1])]), "a", "b", None)


def test_tf_source_retries_until_found_then_caches() -> None:
    buffer = FakeBuffer(
        [FakeLookupError("not yet"), _stamped([0.02, 0, 0], [0, 0, 0, 1]), AssertionError()]
    )
    source = TfExtrinsicSource(buffer, time="latest")
    with pytest.raises(DataError):
        source.extrinsic("rgb", "depth")
    first = source.extrinsic("rgb", "depth")
    assert source.extrinsic("rgb", "depth") is first  # no third lookup
    assert [call[:3] for call in buffer.calls] == [("rgb", "depth", "latest")] * 2
    assert buffer.calls[0][3] is None  # no timeout given: the Buffer's default
