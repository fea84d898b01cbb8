# SPDX-License-Identifier: Apache-2.0
"""The registration hook the node sets on :attr:`FrameStream.registrar` (ROS-free).

:class:`RegistrationHook` is a :data:`~bridgenet_ros.stream.frame_stream.Registrar` that builds
its :class:`~bridgenet_ros.stream.registration.DepthRegistrar` lazily: once the colour camera
(the latest ``rgb/camera_info``) and the depth -> colour extrinsic are known. The extrinsic is
fixed (the ``depth_to_rgb`` parameter) or comes from an extrinsic source such as
:class:`~bridgenet_ros.stream.extrinsic.TfExtrinsicSource`, looked up between the images'
``header.frame_id`` s. The registrar is built once and rebuilt only when the colour camera's
size or intrinsics change. Until everything is there, a call raises :class:`DataError`, which
:class:`FrameStream` counts as ``registration_failed`` (throttled warning, frame dropped).
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import numpy as np

from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.runtime.camera import CameraIntrinsics
from bridgenet_ros.stream.extrinsic import Extrinsic
from bridgenet_ros.stream.frame_stream import intrinsics_of
from bridgenet_ros.stream.registration import DepthRegistrar

__all__ = ["ExtrinsicSource", "RegistrationHook"]


class ExtrinsicSource(Protocol):
    """Gives the depth -> colour extrinsic for a pair of frame ids (e.g. from TF)."""

    def extrinsic(self, rgb_frame: str, depth_frame: str) -> Extrinsic:
        """The transform ``rgb_frame <- depth_frame``; raises DataError while unavailable."""
        ...


class RegistrationHook:
    """``hook(depth_lr_m, depth_intrinsics) -> depth on the colour camera's LR grid``.

    Args:
        extrinsic: the fixed depth -> colour extrinsic (``depth_to_rgb``), or ``None``.
        source: where to look the extrinsic up (TF) when ``extrinsic`` is ``None``.

    Raises:
        ConfigError: neither or both of ``extrinsic`` and ``source`` are given.
    """

    def __init__(
        self, extrinsic: Extrinsic | None = None, source: ExtrinsicSource | None = None
    ) -> None:
        if (extrinsic is None) == (source is None):
            raise ConfigError("RegistrationHook needs exactly one of extrinsic and source")
        self.extrinsic = extrinsic
        self.source = source
        self.builds = 0  # how many DepthRegistrar were built (tests, diagnostics)
        self._lock = threading.Lock()
        self._rgb: CameraIntrinsics | None = None
        self._frames = ("", "")
        self._key: tuple[Any, ...] | None = None
        self._registrar: DepthRegistrar | None = None

    def set_rgb_camera_info(self, info: Any) -> None:
        """Cache the colour camera of a ``CameraInfo``-like object (an unusable one is ignored)."""
        intrinsics = intrinsics_of(info)
        if intrinsics is not None:
            with self._lock:
                self._rgb = intrinsics

    def set_frame_ids(self, rgb_frame: str, depth_frame: str) -> None:
        """The images' ``header.frame_id`` s, for the extrinsic lookup."""
        self._frames = (str(rgb_frame), str(depth_frame))

    def registrar(self) -> DepthRegistrar:
        """The current :class:`DepthRegistrar`, built when first possible.

        Raises:
            DataError: no usable ``rgb/camera_info`` yet, or the extrinsic is not available
                (the source's error, e.g. no TF yet).
        """
        with self._lock:
            rgb = self._rgb
            if rgb is None:
                raise DataError(
                    "register_depth is on but no usable rgb/camera_info has been received: "
                    "remap rgb/camera_info to the colour camera's camera_info topic"
                )
            key = (rgb.width, rgb.height, rgb.k.tobytes(), rgb.p.tobytes())
            if self._registrar is not None and key == self._key:
                return self._registrar
            extrinsic = self.extrinsic
            if extrinsic is None:
                assert self.source is not None
                extrinsic = self.source.extrinsic(*self._frames)
            self._registrar = DepthRegistrar(rgb, extrinsic)
            self._key = key
            self.builds += 1
            return self._registrar

    def __call__(self, depth_lr: np.ndarray, depth_info: CameraIntrinsics | None) -> np.ndarray:
        """Register one decoded LR depth image (metres) into the colour camera.

        Raises:
            DataError: see :meth:`registrar` and :meth:`DepthRegistrar.__call__`.
            ShapeError: a bad depth array or camera_info of another aspect ratio.
        """
        return self.registrar()(depth_lr, depth_info)
