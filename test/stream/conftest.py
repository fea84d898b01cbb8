# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the stream tests: a tiny model, its pipeline, duck-typed image messages."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import numpy as np
import pytest

from bridgenet_ros.stream.codec import array_to_image_fields
from bridgenet_ros.stream.stamps import ns_to_sec_nanosec


@pytest.fixture(scope="session")
def stream_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``test``-variant checkpoint with seeded random weights."""
    import torch

    from bridgenet_ros.model import create_model, save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("model") / "stream_test.pt"
    return save_checkpoint(path, create_model("test"), {"purpose": "stream tests"})


@pytest.fixture(scope="session")
def stream_pipeline(stream_checkpoint: Path) -> Iterator[Any]:
    """The node's pipeline for the test model on torch."""
    from bridgenet_ros.stream.params import NodeConfig
    from bridgenet_ros.stream.pipeline_factory import build_pipeline

    pipeline, _, _ = build_pipeline(NodeConfig(model_path=str(stream_checkpoint), backend="torch"))
    yield pipeline
    pipeline.backend.close()


def make_image(array: np.ndarray, encoding: str, stamp_ns: int, frame_id: str = "cam") -> Any:
    """A duck-typed ``sensor_msgs/Image`` (what rclpy and rosbags messages look like)."""
    fields = array_to_image_fields(array, encoding)
    sec, nanosec = ns_to_sec_nanosec(stamp_ns)
    return SimpleNamespace(
        header=SimpleNamespace(stamp=SimpleNamespace(sec=sec, nanosec=nanosec), frame_id=frame_id),
        height=fields.height,
        width=fields.width,
        encoding=fields.encoding,
        is_bigendian=fields.is_bigendian,
        step=fields.step,
        data=fields.data,
    )


def make_info(height: int, width: int, fx: float) -> Any:
    """A duck-typed pinhole ``sensor_msgs/CameraInfo``."""
    k = [fx, 0.0, width / 2, 0.0, fx, height / 2, 0.0, 0.0, 1.0]
    p = [fx, 0.0, width / 2, 0.0, 0.0, fx, height / 2, 0.0, 0.0, 0.0, 1.0, 0.0]
    return SimpleNamespace(height=height, width=width, k=k, p=p)


@pytest.fixture(scope="session")
def msgs() -> SimpleNamespace:
    """The message builders (test modules cannot import conftest in importlib mode)."""
    return SimpleNamespace(image=make_image, info=make_info)
