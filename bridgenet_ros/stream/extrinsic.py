# SPDX-License-Identifier: Apache-2.0
"""The depth -> colour camera extrinsic: from a parameter, or from TF where ``tf2_ros`` imports.

The node's ``depth_to_rgb`` parameter is the flat double array ``[x, y, z, qx, qy, qz, qw]``
(metres, unit quaternion; ``static_transform_publisher``'s order); :meth:`Extrinsic.from_mapping`
also takes ``{translation: [x, y, z], rotation_xyzw: [qx, qy, qz, qw]}`` (YAML configs, Python).
It is the transform that maps points from the depth camera's optical frame into the colour
camera's optical frame, i.e. what ``ros2 run tf2_ros tf2_echo <rgb_optical_frame>
<depth_optical_frame>`` prints. From TF, :class:`TfExtrinsicSource` looks that transform up with
``tf2_ros.Buffer.lookup_transform(target_frame=rgb frame, source_frame=depth frame, time)``; the
frames are the images' ``header.frame_id``. The ``tf2_ros`` buffer and listener are made by
:func:`bridgenet_ros.ros.tf_extrinsic.tf_extrinsic_source` (``ros/`` is the only rclpy importer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bridgenet_ros.errors import ConfigError, DataError

__all__ = [
    "MAX_TRANSLATION_M",
    "Extrinsic",
    "TfExtrinsicSource",
    "extrinsic_from_transform",
    "lookup_extrinsic",
]

#: largest accepted baseline; a larger one is most likely millimetres given as metres
MAX_TRANSLATION_M = 5.0
_ROTATION_TOL = 1e-4
_QUATERNION_NORM_TOL = 1e-2


# ----------------------------------------------------------------------------------- extrinsic


def _quaternion_to_matrix(x: float, y: float, z: float, w: float) -> np.ndarray:
    """Rotation matrix of the unit quaternion ``(x, y, z, w)``."""
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ],
        dtype=np.float64,
    )


def _matrix_to_quaternion(r: np.ndarray) -> tuple[float, float, float, float]:
    """Unit quaternion ``(x, y, z, w)`` with ``w >= 0`` of a rotation matrix."""
    trace = float(r[0, 0] + r[1, 1] + r[2, 2])
    if trace > 0.0:
        s = 2.0 * math.sqrt(trace + 1.0)
        q = (r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, 0.25 * s
    elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
        s = 2.0 * math.sqrt(1.0 + r[0, 0] - r[1, 1] - r[2, 2])
        q = 0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s, (r[2, 1] - r[1, 2]) / s
    elif r[1, 1] > r[2, 2]:
        s = 2.0 * math.sqrt(1.0 + r[1, 1] - r[0, 0] - r[2, 2])
        q = (r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s, (r[0, 2] - r[2, 0]) / s
    else:
        s = 2.0 * math.sqrt(1.0 + r[2, 2] - r[0, 0] - r[1, 1])
        q = (r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s, (r[1, 0] - r[0, 1]) / s
    sign = -1.0 if q[3] < 0 else 1.0
    x, y, z, w = (sign * float(c) for c in q)
    return x, y, z, w


def _floats(value: Any, count: int, name: str) -> np.ndarray:
    """``count`` finite floats from a YAML/ROS list, or a ConfigError naming ``name``."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (Sequence, np.ndarray)):
        raise ConfigError(f"{name} must be a list of {count} numbers, got {value!r}")
    try:
        array = np.asarray(list(value), dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{name} must be a list of {count} numbers, got {value!r}") from err
    if array.shape != (count,) or not np.isfinite(array).all():
        raise ConfigError(f"{name} must be {count} finite numbers, got {value!r}")
    return array


@dataclass(frozen=True, eq=False)
class Extrinsic:
    """Rigid transform from the depth camera's optical frame to the colour camera's.

    A point ``p_depth`` (metres; optical frame: x right, y down, z forward) is
    ``p_rgb = rotation @ p_depth + translation`` in the colour camera. This is the transform
    ``tf2_ros.Buffer.lookup_transform(rgb_frame, depth_frame, time)`` returns (target = colour
    optical frame, source = depth optical frame) and ``ros2 run tf2_ros tf2_echo <rgb_frame>
    <depth_frame>`` prints.

    Attributes:
        rotation: ``(3, 3)`` float64 rotation matrix (orthonormal, det +1).
        translation: ``(3,)`` float64 metres, the depth camera's origin in the colour frame.

    Raises:
        ConfigError: wrong shape, non-finite values, a matrix that is not a rotation, or a
            translation longer than ``MAX_TRANSLATION_M`` (millimetres given as metres?).
    """

    rotation: np.ndarray
    translation: np.ndarray

    def __post_init__(self) -> None:
        r = np.array(self.rotation, dtype=np.float64)
        t = np.array(self.translation, dtype=np.float64).reshape(-1)
        if r.shape != (3, 3) or t.shape != (3,):
            raise ConfigError(
                f"Extrinsic needs a (3, 3) rotation and 3 translation values, got "
                f"{r.shape} and {t.shape}"
            )
        if not (np.isfinite(r).all() and np.isfinite(t).all()):
            raise ConfigError(f"Extrinsic has non-finite values: rotation {r}, translation {t}")
        if np.abs(r @ r.T - np.eye(3)).max() > _ROTATION_TOL or np.linalg.det(r) <= 0:
            raise ConfigError(
                f"Extrinsic.rotation is not a rotation matrix (orthonormal, det +1): {r.tolist()}"
            )
        if float(np.linalg.norm(t)) > MAX_TRANSLATION_M:
            raise ConfigError(
                f"Extrinsic.translation {t.tolist()} is {np.linalg.norm(t):.1f} m long (limit "
                f"{MAX_TRANSLATION_M} m): give it in metres"
            )
        r.setflags(write=False)
        t.setflags(write=False)
        object.__setattr__(self, "rotation", r)
        object.__setattr__(self, "translation", t)

    @classmethod
    def identity(cls) -> Extrinsic:
        """The depth camera is the colour camera (no rotation, no baseline)."""
        return cls(np.eye(3), np.zeros(3))

    @classmethod
    def from_quaternion(
        cls, translation: Sequence[float], rotation_xyzw: Sequence[float]
    ) -> Extrinsic:
        """Build from a TF-style translation (metres) and unit quaternion ``x, y, z, w``.

        Raises:
            ConfigError: wrong lengths, non-finite values, or a quaternion whose norm is not
                1 within 1 % (Euler angles or a typo; it is normalized otherwise).
        """
        t = _floats(translation, 3, "depth_to_rgb.translation")
        q = _floats(rotation_xyzw, 4, "depth_to_rgb.rotation_xyzw")
        norm = float(np.linalg.norm(q))
        if abs(norm - 1.0) > _QUATERNION_NORM_TOL:
            raise ConfigError(
                f"depth_to_rgb.rotation_xyzw must be a unit quaternion [x, y, z, w], got "
                f"{q.tolist()} (norm {norm:.3f}); identity is [0, 0, 0, 1]"
            )
        x, y, z, w = (float(c) / norm for c in q)
        return cls(_quaternion_to_matrix(x, y, z, w), t)

    @classmethod
    def from_mapping(cls, value: Any) -> Extrinsic:
        """Build from the ``depth_to_rgb`` parameter.

        Args:
            value: ``{translation: [x, y, z], rotation_xyzw: [qx, qy, qz, qw]}`` (both keys
                required, metres), or a flat list ``[x, y, z, qx, qy, qz, qw]`` (the order of
                ``static_transform_publisher``).

        Raises:
            ConfigError: unknown or missing keys, wrong lengths or values.
        """
        if isinstance(value, Mapping):
            keys = {"translation", "rotation_xyzw"}
            unknown = sorted(set(value) - keys)
            missing = sorted(keys - set(value))
            if unknown or missing:
                raise ConfigError(
                    f"depth_to_rgb needs exactly the keys translation and rotation_xyzw; "
                    f"unknown {unknown}, missing {missing}"
                )
            return cls.from_quaternion(value["translation"], value["rotation_xyzw"])
        flat = _floats(value, 7, "depth_to_rgb")
        return cls.from_quaternion(flat[:3].tolist(), flat[3:].tolist())

    def to_mapping(self) -> dict[str, list[float]]:
        """The ``depth_to_rgb`` form: ``{translation: [...], rotation_xyzw: [...]}``."""
        return {
            "translation": [float(c) for c in self.translation],
            "rotation_xyzw": list(_matrix_to_quaternion(self.rotation)),
        }

    def inverse(self) -> Extrinsic:
        """The colour -> depth transform."""
        return Extrinsic(self.rotation.T, -(self.rotation.T @ self.translation))

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Transform ``(..., 3)`` points (metres) from the depth frame to the colour frame."""
        return np.asarray(points, dtype=np.float64) @ self.rotation.T + self.translation


# ----------------------------------------------------------------------------------------- TF


def extrinsic_from_transform(transform: Any) -> Extrinsic:
    """An :class:`Extrinsic` from a ``geometry_msgs/TransformStamped`` or ``Transform``.

    Args:
        transform: anything with ``translation.{x,y,z}`` and ``rotation.{x,y,z,w}``, directly or
            under ``.transform``.

    Raises:
        ConfigError: not a rigid transform (see :meth:`Extrinsic.from_quaternion`).
    """
    tf = getattr(transform, "transform", transform)
    t, q = tf.translation, tf.rotation
    return Extrinsic.from_quaternion([t.x, t.y, t.z], [q.x, q.y, q.z, q.w])


def lookup_extrinsic(
    buffer: Any, rgb_frame: str, depth_frame: str, time: Any, timeout: Any = None
) -> Extrinsic:
    """Look the depth -> colour transform up in a ``tf2_ros.Buffer``.

    Args:
        buffer: a ``tf2_ros.Buffer`` (anything with its ``lookup_transform(target_frame,
            source_frame, time, timeout=...)``).
        rgb_frame: the colour image's ``header.frame_id`` (the target frame).
        depth_frame: the depth image's ``header.frame_id`` (the source frame).
        time: passed through; ``rclpy.time.Time()`` asks for the latest transform.
        timeout: passed through as ``timeout=`` when given (an ``rclpy.duration.Duration``).

    Raises:
        DataError: an empty frame id, a failed lookup (not yet available, no connection,
            extrapolation: tf2's exceptions, chained) or a transform that is not rigid.
    """
    if not rgb_frame or not depth_frame:
        raise DataError(
            f"cannot look up depth_to_rgb in TF: empty frame_id (rgb {rgb_frame!r}, depth "
            f"{depth_frame!r}); set the cameras' frame ids or give depth_to_rgb"
        )
    kwargs = {} if timeout is None else {"timeout": timeout}
    try:
        stamped = buffer.lookup_transform(rgb_frame, depth_frame, time, **kwargs)
    except Exception as err:  # tf2_ros.TransformException and friends, at the boundary
        raise DataError(
            f"TF lookup {rgb_frame} <- {depth_frame} failed ({type(err).__name__}: {err}); is "
            "the camera's TF (robot_state_publisher / the driver's static TF) published?"
        ) from err
    try:
        return extrinsic_from_transform(stamped)
    except ConfigError as err:
        raise DataError(f"TF {rgb_frame} <- {depth_frame} is unusable: {err}") from err


class TfExtrinsicSource:
    """Depth -> colour extrinsic from TF, cached per frame pair once a lookup succeeds.

    A rig's optical frames are fixed to each other, so the first successful lookup is kept
    (a depth sensor moving relative to the colour camera is not supported). Until then
    :meth:`extrinsic` raises :class:`DataError` (count the frame and skip it).

    Args:
        buffer: a ``tf2_ros.Buffer`` (see :func:`lookup_extrinsic`).
        time: the time asked for (``rclpy.time.Time()``: latest).
        timeout: optional ``rclpy.duration.Duration`` to wait in each lookup (default: none).
    """

    def __init__(self, buffer: Any, time: Any, timeout: Any = None) -> None:
        self.buffer = buffer
        self.time = time
        self.timeout = timeout
        self._listener: Any = None
        self._cache: dict[tuple[str, str], Extrinsic] = {}

    def extrinsic(self, rgb_frame: str, depth_frame: str) -> Extrinsic:
        """The transform ``rgb_frame <- depth_frame`` (cached after the first success).

        Raises:
            DataError: see :func:`lookup_extrinsic`.
        """
        key = (rgb_frame, depth_frame)
        if key not in self._cache:
            self._cache[key] = lookup_extrinsic(
                self.buffer, rgb_frame, depth_frame, self.time, self.timeout
            )
        return self._cache[key]
