# SPDX-License-Identifier: Apache-2.0
"""numpy codec for ``sensor_msgs/Image``, without ``cv_bridge`` or OpenCV.

``cv_bridge`` comes only with a ROS installation (no PyPI wheel) and is not needed: the node runs
with rclpy from pip too, and the offline bench without ROS.

Works on duck-typed messages: anything with ``height``, ``width``, ``encoding``,
``is_bigendian``, ``step`` and ``data`` (rclpy messages, whose ``data`` is an ``array.array``,
and rosbags messages, whose ``data`` is a ``numpy`` array). It imports neither rclpy nor any
``*_msgs`` package so the offline bench can use it without ROS.

Supported encodings: ``rgb8``, ``bgr8``, ``rgba8``, ``bgra8``, ``mono8`` (colour) and ``16UC1``
or ``mono16`` (millimetres, 0 = invalid; RealSense bags record depth as ``mono16``, the same
layout), ``32FC1`` (metres, NaN/0 invalid) (depth). Row padding (``step`` >
``width * pixel bytes``) and ``is_bigendian`` are honoured when decoding and encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bridgenet_ros.errors import DataError

__all__ = [
    "CAMERA_INFO_TYPE",
    "COLOR_ENCODINGS",
    "DEPTH_ENCODINGS",
    "ENCODINGS",
    "IMAGE_TYPE",
    "MILLIMETRE_ENCODINGS",
    "ImageCodecError",
    "ImageFields",
    "array_to_image_fields",
    "decode_depth_m",
    "decode_rgb",
    "depth_to_metres",
    "image_msg_to_array",
    "to_rgb",
]

#: ROS 2 type names of the messages the stream reads and writes
IMAGE_TYPE = "sensor_msgs/msg/Image"
CAMERA_INFO_TYPE = "sensor_msgs/msg/CameraInfo"

#: encoding -> (numpy dtype without byte order, channels)
ENCODINGS: dict[str, tuple[str, int]] = {
    "rgb8": ("u1", 3),
    "bgr8": ("u1", 3),
    "rgba8": ("u1", 4),
    "bgra8": ("u1", 4),
    "mono8": ("u1", 1),
    "16UC1": ("u2", 1),
    "mono16": ("u2", 1),
    "32FC1": ("f4", 1),
}
COLOR_ENCODINGS: tuple[str, ...] = ("rgb8", "bgr8", "rgba8", "bgra8", "mono8")
DEPTH_ENCODINGS: tuple[str, ...] = ("16UC1", "mono16", "32FC1")
#: depth encodings holding uint16 millimetres
MILLIMETRE_ENCODINGS: tuple[str, ...] = ("16UC1", "mono16")


class ImageCodecError(DataError):
    """An image message cannot be decoded or an array cannot be encoded.

    Attributes:
        reason: a short machine-readable tag for counting (``encoding``, ``length``, ``shape``,
            ``dtype``).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ImageFields:
    """The fields of a ``sensor_msgs/Image`` (header excluded) produced by the encoder.

    ``data`` is ``bytes``, or with ``array_to_image_fields(..., copy=False)`` possibly a
    read-only byte ``memoryview`` of the encoded array (no copy): either works with
    ``len``, ``np.frombuffer`` and ``array.array.frombytes``.
    """

    height: int
    width: int
    encoding: str
    is_bigendian: bool
    step: int
    data: bytes | memoryview


def _dtype(encoding: str, big_endian: bool) -> tuple[np.dtype[Any], int]:
    """Return the numpy dtype (with byte order) and channel count of ``encoding``."""
    try:
        base, channels = ENCODINGS[encoding]
    except KeyError:
        raise ImageCodecError(
            "encoding",
            f"unsupported image encoding {encoding!r}; supported: {sorted(ENCODINGS)}",
        ) from None
    order = ">" if big_endian else "<"
    return np.dtype(order + base if base != "u1" else base), channels


def _as_bytes_array(data: Any) -> np.ndarray:
    """View message ``data`` (array.array, bytes, list or ndarray) as a flat uint8 array."""
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(data, dtype=np.uint8)
    try:
        return np.frombuffer(memoryview(data), dtype=np.uint8)
    except TypeError:
        return np.asarray(data, dtype=np.uint8).reshape(-1)


def image_msg_to_array(msg: Any, *, copy: bool = False) -> np.ndarray:
    """Decode an image message into a native-endian numpy array.

    Args:
        msg: a ``sensor_msgs/Image``-like object.
        copy: return an array that owns its memory (otherwise it may view ``msg.data``).

    Returns:
        ``(H, W)`` for one-channel encodings, ``(H, W, C)`` otherwise; dtype ``uint8``,
        ``uint16`` or ``float32`` in the host byte order, channels in the encoding's order.

    Raises:
        ImageCodecError: unsupported encoding (``encoding``), zero size or ``step`` smaller than a
            row (``shape``), or ``len(data) != step * height`` (``length``).
    """
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    encoding = str(msg.encoding)
    big_endian = bool(msg.is_bigendian)
    dtype, channels = _dtype(encoding, big_endian)
    row_bytes = width * channels * dtype.itemsize
    if height <= 0 or width <= 0:
        raise ImageCodecError("shape", f"image has zero size ({height}x{width})")
    if step < row_bytes:
        raise ImageCodecError(
            "shape",
            f"step {step} is smaller than one row of {width} {encoding} pixels "
            f"({row_bytes} bytes)",
        )
    raw = _as_bytes_array(msg.data)
    if raw.size != step * height:
        raise ImageCodecError(
            "length",
            f"data length {raw.size} != step x height = {step} x {height} = {step * height}",
        )
    rows = raw.reshape(height, step)[:, :row_bytes]
    if step == row_bytes or dtype.itemsize == 1:
        # Either no padding or single bytes: a (possibly strided) view needs no copy.
        array = rows.view(dtype) if step == row_bytes else rows
    else:
        # Padded multi-byte rows: copy the pixel bytes so items are contiguous and aligned.
        array = np.ascontiguousarray(rows).view(dtype)
    shape = (height, width, channels) if channels > 1 else (height, width)
    array = array.reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=copy)


def to_rgb(array: np.ndarray, encoding: str) -> np.ndarray:
    """Convert a decoded colour image to ``(H, W, 3)`` uint8 RGB.

    Args:
        array: output of :func:`image_msg_to_array` for a colour encoding.
        encoding: its encoding (``rgb8``, ``bgr8``, ``rgba8``, ``bgra8`` or ``mono8``).

    Returns:
        A contiguous ``(H, W, 3)`` uint8 array in RGB order.

    Raises:
        ImageCodecError: ``encoding`` is not a colour encoding.
    """
    if encoding == "rgb8":
        out = array
    elif encoding == "bgr8":
        out = array[:, :, ::-1]
    elif encoding == "rgba8":
        out = array[:, :, :3]
    elif encoding == "bgra8":
        out = array[:, :, 2::-1]
    elif encoding == "mono8":
        out = np.repeat(array[:, :, None], 3, axis=2)
    else:
        raise ImageCodecError(
            "encoding",
            f"unsupported colour encoding {encoding!r}; supported: {list(COLOR_ENCODINGS)}",
        )
    return np.ascontiguousarray(out, dtype=np.uint8)


def depth_to_metres(array: np.ndarray, encoding: str) -> np.ndarray:
    """Convert a decoded depth image to float32 metres (0 or NaN invalid, REP 118 conventions).

    Args:
        array: output of :func:`image_msg_to_array` for a depth encoding.
        encoding: ``16UC1`` or ``mono16`` (millimetres, 0 invalid) or ``32FC1`` (metres, NaN/0
            invalid).

    Returns:
        A new ``(H, W)`` float32 array in metres; invalid pixels keep 0 or NaN.

    Raises:
        ImageCodecError: ``encoding`` is not a depth encoding.
    """
    if encoding in MILLIMETRE_ENCODINGS:
        return array.astype(np.float32) * np.float32(0.001)
    if encoding == "32FC1":
        return np.array(array, dtype=np.float32, copy=True)
    raise ImageCodecError(
        "encoding",
        f"unsupported depth encoding {encoding!r}; supported: {list(DEPTH_ENCODINGS)}",
    )


def decode_rgb(msg: Any) -> np.ndarray:
    """Decode a colour image message to ``(H, W, 3)`` uint8 RGB (see :func:`to_rgb`)."""
    if str(msg.encoding) not in COLOR_ENCODINGS:
        raise ImageCodecError(
            "encoding",
            f"unsupported colour encoding {msg.encoding!r}; supported: {list(COLOR_ENCODINGS)}",
        )
    return to_rgb(image_msg_to_array(msg), str(msg.encoding))


def decode_depth_m(msg: Any) -> np.ndarray:
    """Decode a depth image message to ``(H, W)`` float32 metres (see :func:`depth_to_metres`)."""
    if str(msg.encoding) not in DEPTH_ENCODINGS:
        raise ImageCodecError(
            "encoding",
            f"unsupported depth encoding {msg.encoding!r}; supported: {list(DEPTH_ENCODINGS)}",
        )
    return depth_to_metres(image_msg_to_array(msg), str(msg.encoding))


def array_to_image_fields(
    array: np.ndarray,
    encoding: str,
    *,
    is_bigendian: bool = False,
    step: int | None = None,
    copy: bool = True,
) -> ImageFields:
    """Encode an array into ``sensor_msgs/Image`` fields.

    Args:
        array: ``(H, W)`` or ``(H, W, C)`` with the encoding's channel count; its values are
            cast to the encoding's dtype (``uint8``, ``uint16`` or ``float32``) without scaling.
        encoding: one of :data:`ENCODINGS`.
        is_bigendian: write multi-byte pixels big-endian.
        step: row length in bytes (default: no padding); padding bytes are zero.
        copy: ``False``: when ``array`` already has the encoding's layout (contiguous, its
            dtype and byte order, no padding), ``data`` is a read-only ``memoryview`` of it
            instead of a ``bytes`` copy; it then changes with ``array``. The node and the
            bench encode each frame's fresh output this way.

    Returns:
        The fields; ``data`` holds ``step * H`` bytes (``bytes`` or, see ``copy``, a view).

    Raises:
        ImageCodecError: unsupported encoding, wrong channel count (``shape``), or ``step``
            smaller than one row.
    """
    dtype, channels = _dtype(encoding, is_bigendian)
    arr = np.asarray(array)
    expected_ndim = 2 if channels == 1 else 3
    if arr.ndim == 3 and channels == 1 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != expected_ndim or (channels > 1 and arr.shape[2] != channels):
        raise ImageCodecError(
            "shape",
            f"array of shape {arr.shape} does not fit encoding {encoding!r} "
            f"({channels} channel(s))",
        )
    height, width = int(arr.shape[0]), int(arr.shape[1])
    row_bytes = width * channels * dtype.itemsize
    if step is None:
        step = row_bytes
    if step < row_bytes:
        raise ImageCodecError(
            "shape", f"step {step} is smaller than one row of {width} {encoding} pixels"
        )
    body = np.ascontiguousarray(arr, dtype=dtype)
    data: bytes | memoryview
    if step == row_bytes and not copy and body is arr:
        data = body.data.toreadonly().cast("B")
    elif step == row_bytes:
        data = body.tobytes()
    else:
        padded = np.zeros((height, step), dtype=np.uint8)
        padded[:, :row_bytes] = body.reshape(height, -1).view(np.uint8)
        data = padded.tobytes()
    return ImageFields(
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=bool(is_bigendian),
        step=int(step),
        data=data,
    )
