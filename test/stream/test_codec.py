# SPDX-License-Identifier: Apache-2.0
"""Tests of the numpy image codec (no ROS needed: plain duck-typed messages)."""

from __future__ import annotations

import array
from types import SimpleNamespace

import numpy as np
import pytest

from bridgenet_ros.errors import DataError
from bridgenet_ros.stream.codec import (
    ENCODINGS,
    ImageCodecError,
    array_to_image_fields,
    decode_depth_m,
    decode_rgb,
    image_msg_to_array,
)


def _msg(fields: object, data: object | None = None) -> SimpleNamespace:
    values = dict(vars(fields))
    if data is not None:
        values["data"] = data
    return SimpleNamespace(**values)


def _sample(encoding: str, rng: np.random.Generator, h: int = 5, w: int = 7) -> np.ndarray:
    base, channels = ENCODINGS[encoding]
    shape = (h, w) if channels == 1 else (h, w, channels)
    if base == "f4":
        return rng.uniform(0.1, 10.0, shape).astype(np.float32)
    if base == "u2":
        return rng.integers(0, 65535, shape, dtype=np.uint16)
    return rng.integers(0, 255, shape, dtype=np.uint8)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("pad", [0, 3, 8])
def test_round_trip_with_padding_and_byte_order(encoding: str, big_endian: bool, pad: int) -> None:
    rng = np.random.default_rng(0)
    arr = _sample(encoding, rng)
    row = arr.shape[1] * arr.itemsize * (arr.shape[2] if arr.ndim == 3 else 1)
    fields = array_to_image_fields(arr, encoding, is_bigendian=big_endian, step=row + pad)
    assert fields.step == row + pad
    assert len(fields.data) == fields.step * fields.height
    for data in (fields.data, array.array("B", fields.data), np.frombuffer(fields.data, np.uint8)):
        out = image_msg_to_array(_msg(fields, data))
        assert out.dtype == arr.dtype.newbyteorder("=")
        assert out.dtype.isnative
        np.testing.assert_array_equal(out, arr)


def test_big_endian_bytes_are_decoded_by_value() -> None:
    # 0x0102 big-endian = 258; little-endian the same bytes would read 513.
    msg = SimpleNamespace(
        height=1,
        width=2,
        encoding="16UC1",
        is_bigendian=True,
        step=4,
        data=bytes([0x01, 0x02, 0x00, 0x05]),
    )
    np.testing.assert_array_equal(image_msg_to_array(msg), [[258, 5]])
    msg.is_bigendian = False
    np.testing.assert_array_equal(image_msg_to_array(msg), [[513, 1280]])


def test_padding_bytes_are_ignored() -> None:
    rows = [bytes([1, 2, 3, 99, 99]), bytes([4, 5, 6, 77, 77])]
    msg = SimpleNamespace(
        height=2, width=1, encoding="rgb8", is_bigendian=False, step=5, data=b"".join(rows)
    )
    np.testing.assert_array_equal(image_msg_to_array(msg), [[[1, 2, 3]], [[4, 5, 6]]])


def test_encoder_writes_zero_padding() -> None:
    fields = array_to_image_fields(np.full((2, 2), 7, np.uint8), "mono8", step=4)
    assert fields.data == bytes([7, 7, 0, 0, 7, 7, 0, 0])


@pytest.mark.parametrize(
    ("encoding", "pixel", "rgb"),
    [
        ("rgb8", [10, 20, 30], [10, 20, 30]),
        ("bgr8", [30, 20, 10], [10, 20, 30]),
        ("rgba8", [10, 20, 30, 255], [10, 20, 30]),
        ("bgra8", [30, 20, 10, 255], [10, 20, 30]),
        ("mono8", 40, [40, 40, 40]),
    ],
)
def test_decode_rgb_orders_channels(encoding: str, pixel: object, rgb: list[int]) -> None:
    arr = np.empty((3, 4) if encoding == "mono8" else (3, 4, len(pixel)), np.uint8)  # type: ignore[arg-type]
    arr[...] = pixel
    out = decode_rgb(_msg(array_to_image_fields(arr, encoding)))
    assert out.shape == (3, 4, 3) and out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out[1, 2], rgb)


def test_decode_depth_units() -> None:
    mm = np.array([[0, 1000], [1500, 65535]], np.uint16)
    m = decode_depth_m(_msg(array_to_image_fields(mm, "16UC1")))
    assert m.dtype == np.float32
    np.testing.assert_allclose(m, [[0.0, 1.0], [1.5, 65.535]], rtol=1e-6)
    f = np.array([[np.nan, 2.5]], np.float32)
    out = decode_depth_m(_msg(array_to_image_fields(f, "32FC1", is_bigendian=True)))
    assert np.isnan(out[0, 0]) and out[0, 1] == np.float32(2.5)


def test_errors_name_the_problem() -> None:
    good = array_to_image_fields(np.zeros((2, 3), np.uint16), "16UC1")
    with pytest.raises(ImageCodecError, match="unsupported image encoding 'yuv422'") as err:
        image_msg_to_array(SimpleNamespace(**{**vars(good), "encoding": "yuv422"}))
    assert err.value.reason == "encoding"
    assert isinstance(err.value, DataError)
    with pytest.raises(ImageCodecError, match=r"data length 11 != step x height = 6 x 2") as err:
        image_msg_to_array(_msg(good, good.data[:-1]))
    assert err.value.reason == "length"
    with pytest.raises(ImageCodecError, match="step 4 is smaller") as err:
        image_msg_to_array(SimpleNamespace(**{**vars(good), "step": 4, "data": bytes(8)}))
    assert err.value.reason == "shape"
    with pytest.raises(ImageCodecError, match="unsupported colour encoding '16UC1'"):
        decode_rgb(_msg(good))
    with pytest.raises(ImageCodecError, match="unsupported depth encoding 'rgb8'"):
        decode_depth_m(_msg(array_to_image_fields(np.zeros((1, 1, 3), np.uint8), "rgb8")))
    with pytest.raises(ImageCodecError, match="does not fit encoding 'rgb8'"):
        array_to_image_fields(np.zeros((2, 2), np.uint8), "rgb8")


def test_decoded_array_with_copy_owns_memory() -> None:
    fields = array_to_image_fields(np.arange(6, dtype=np.uint8).reshape(2, 3), "mono8")
    buf = bytearray(fields.data)
    out = image_msg_to_array(_msg(fields, buf), copy=True)
    buf[0] = 200
    assert out[0, 0] == 0


def test_mono16_is_16uc1_millimetres() -> None:
    mm = np.array([[0, 1000], [2500, 65535]], dtype=np.uint16)
    mono16 = _msg(array_to_image_fields(mm, "mono16"))
    uc1 = _msg(array_to_image_fields(mm, "16UC1"))
    assert mono16.data == uc1.data and mono16.step == uc1.step
    np.testing.assert_array_equal(decode_depth_m(mono16), decode_depth_m(uc1))
    assert decode_depth_m(mono16)[1, 0] == pytest.approx(2.5)
    with pytest.raises(ImageCodecError, match="colour encoding"):
        decode_rgb(mono16)  # a depth encoding, not a colour one


def test_message_type_names_are_defined_once() -> None:
    from bridgenet_ros.bench import topics
    from bridgenet_ros.data import bag_open
    from bridgenet_ros.stream import codec

    assert topics.IMAGE_TYPE is codec.IMAGE_TYPE is bag_open.IMAGE_TYPE
    assert topics.CAMERA_INFO_TYPE is codec.CAMERA_INFO_TYPE


def test_encode_without_copy_views_the_array_when_its_layout_fits() -> None:
    depth = np.random.default_rng(2).uniform(0.5, 4.0, (6, 8)).astype(np.float32)
    view = array_to_image_fields(depth, "32FC1", copy=False)
    assert isinstance(view.data, memoryview) and view.data.readonly and len(view.data) == 6 * 32
    assert np.shares_memory(np.frombuffer(view.data, np.uint8), depth)
    assert view.data == array_to_image_fields(depth, "32FC1").data  # same bytes as a copy
    filled = array.array("B")
    filled.frombytes(view.data)  # how the node fills its message
    np.testing.assert_array_equal(image_msg_to_array(_msg(view, filled)), depth)
    # a layout the encoding does not have is converted into bytes, as with copy=True
    for other in (
        array_to_image_fields(depth.astype(np.float64), "32FC1", copy=False),
        array_to_image_fields(depth[:, ::2], "32FC1", copy=False),
        array_to_image_fields(depth, "32FC1", is_bigendian=True, copy=False),
        array_to_image_fields(depth, "32FC1", step=40, copy=False),
    ):
        assert isinstance(other.data, bytes)
        np.testing.assert_array_equal(
            image_msg_to_array(_msg(other)),
            np.asarray(depth[:, ::2] if other.width == 4 else depth, np.float32),
        )
