# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the ROS tests: an isolated DDS domain, a tiny model, a node harness.

Every test session picks a random ``ROS_DOMAIN_ID`` (1..100) before any rclpy context exists, so
concurrent test runs on the same machine do not hear each other.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import numpy as np
import pytest

os.environ["ROS_DOMAIN_ID"] = str(random.SystemRandom().randint(1, 100))

from bridgenet_ros.stream.codec import array_to_image_fields
from bridgenet_ros.stream.stamps import ns_to_sec_nanosec, stamp_to_ns

try:  # codec and pairing tests run without ROS; the node tests need rclpy
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image
except ImportError:
    rclpy = None

#: small frames keep the suite fast on 2 shared cores: RGB 48x64, depth 12x16 (x4)
RGB_HW = (48, 64)
DEPTH_HW = (12, 16)
WAIT_S = 60.0
#: the in-process nodes look at their ``auto`` inputs' publishers this often (0.5 s in use), so
#: a switch takes a tenth of the time; tests that wait for "several looks" scale with it
QOS_CHECK_S = 0.05
_NAMESPACES = itertools.count()


@pytest.fixture(scope="session")
def test_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``test``-variant checkpoint (random weights) in a temporary folder."""
    from bridgenet_ros.model import create_model, save_checkpoint

    path = tmp_path_factory.mktemp("model") / "bridgenet_test.pt"
    return save_checkpoint(path, create_model("test"), {"purpose": "ros tests"})


def image_msg(
    array: np.ndarray,
    encoding: str,
    stamp_ns: int,
    frame_id: str = "camera_color_optical_frame",
    *,
    is_bigendian: bool = False,
    step: int | None = None,
) -> Image:
    """Build a ``sensor_msgs/Image`` with the codec."""
    fields = array_to_image_fields(array, encoding, is_bigendian=is_bigendian, step=step)
    msg = Image()
    msg.header.stamp.sec, msg.header.stamp.nanosec = ns_to_sec_nanosec(stamp_ns)
    msg.header.frame_id = frame_id
    msg.height, msg.width = fields.height, fields.width
    msg.encoding = fields.encoding
    msg.is_bigendian = fields.is_bigendian
    msg.step = fields.step
    msg.data = fields.data
    return msg


def camera_info_msg(height: int, width: int, stamp_ns: int) -> CameraInfo:
    """A pinhole camera_info for an image of ``height x width``."""
    info = CameraInfo()
    info.header.stamp.sec, info.header.stamp.nanosec = ns_to_sec_nanosec(stamp_ns)
    info.header.frame_id = "camera_color_optical_frame"
    info.height, info.width = height, width
    info.distortion_model = "plumb_bob"
    info.d = [0.0] * 5
    fx = 0.8 * width
    info.k = [fx, 0.0, width / 2, 0.0, fx, height / 2, 0.0, 0.0, 1.0]
    info.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    info.p = [fx, 0.0, width / 2, 0.0, 0.0, fx, height / 2, 0.0, 0.0, 0.0, 1.0, 0.0]
    return info


def scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image and a 16UC1 millimetre ramp (1.0 m .. 3.0 m) of the test sizes."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 255, (*RGB_HW, 3), dtype=np.uint8)
    ramp = np.linspace(1000, 3000, DEPTH_HW[1]).astype(np.uint16)
    return rgb, np.tile(ramp, (DEPTH_HW[0], 1))


def stamp_of(msg: Any) -> int:
    """Header stamp in nanoseconds."""
    return stamp_to_ns(msg.header.stamp)


class Harness:
    """A bridgenet node plus a client node (publishers/subscribers) spun on a thread.

    Args:
        context: the rclpy context.
        node: the node under test.
        reliability: QoS reliability of the client's input publishers.
        namespace: the namespace of the node under test; the client uses it too, so tests that
            run several nodes at once do not hear each other.
    """

    def __init__(
        self, context: Context, node: Any, reliability: ReliabilityPolicy, namespace: str = ""
    ) -> None:
        self.context = context
        self.node = node
        self.namespace = namespace
        self.client = rclpy.create_node(
            "bridgenet_test_client", namespace=namespace, context=context
        )
        qos = QoSProfile(depth=10, reliability=reliability)
        self.pub_rgb = self.client.create_publisher(Image, "rgb/image", qos)
        self.pub_depth = self.client.create_publisher(Image, "depth/image", qos)
        self.pub_info = self.client.create_publisher(CameraInfo, "rgb/camera_info", qos)
        self.pub_depth_info = self.client.create_publisher(CameraInfo, "depth/camera_info", qos)
        self.lock = threading.Lock()
        self.outputs: list[Image] = []
        self.infos: list[CameraInfo] = []
        self.mde: list[Image] = []
        self.diagnostics: list[DiagnosticArray] = []
        out_qos = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
        self.sub_sr = self.client.create_subscription(
            Image, "depth_sr/image", self._keep(self.outputs), out_qos
        )
        self.sub_sr_info = self.client.create_subscription(
            CameraInfo, "depth_sr/camera_info", self._keep(self.infos), out_qos
        )
        self.client.create_subscription(Image, "depth_mde/image", self._keep(self.mde), out_qos)
        self.client.create_subscription(
            DiagnosticArray, "/diagnostics", self._keep(self.diagnostics), 10
        )
        self.executor = SingleThreadedExecutor(context=context)
        if node is not None:
            self.executor.add_node(node)
        self.executor.add_node(self.client)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _keep(self, sink: list[Any]) -> Callable[[Any], None]:
        def callback(msg: Any) -> None:
            with self.lock:
                sink.append(msg)

        return callback

    def wait_connected(self, timeout: float = 20.0) -> None:
        """Wait until DDS discovery matched the input publishers and the output subscriber."""
        self.wait_for(
            lambda: self.pub_rgb.get_subscription_count() > 0
            and self.pub_depth.get_subscription_count() > 0
            and self.client.count_publishers("depth_sr/image") > 0,
            timeout,
            "discovery",
        )
        if self.node is not None:
            self.wait_for(self.inputs_matched, timeout, "input QoS to match the publishers")
        self.wait_for(self.endpoints_matched, timeout, "every writer to match its reader")

    def endpoints_matched(self) -> bool:
        """Each input writer matched exactly one reader and both SR readers a writer.

        After an ``auto`` switch the writer first still counts the old reader, so a count of
        one after :meth:`inputs_matched` (the graph shows the new reader only) is the new one.
        Nothing published after this is lost to an endpoint not yet matched.
        """
        publishers = (self.pub_rgb, self.pub_depth, self.pub_info, self.pub_depth_info)
        return all(p.get_subscription_count() == 1 for p in publishers) and all(
            s.get_publisher_count() >= 1 for s in (self.sub_sr, self.sub_sr_info)
        )

    def inputs_matched(self) -> bool:
        """Whether the node's inputs have the reliability our publishers call for, seen by us.

        With ``input_reliability: auto`` the node re-creates an input subscription once it sees
        a reliable publisher; frames published during the switch could be lost.
        """
        qos = self.node.input_qos
        publishers = (self.pub_rgb, self.pub_depth, self.pub_info, self.pub_depth_info)
        ours = {p.topic_name for p in publishers}
        for entry in qos.inputs:
            if entry.topic not in ours:
                continue
            offered = qos.offered(entry)
            if not offered or entry.wanted(offered) != entry.reliability:
                return False
            seen = [
                info.qos_profile.reliability.name.lower()
                for info in self.client.get_subscriptions_info_by_topic(entry.topic)
                if info.node_name == self.node.get_name()
            ]
            if seen != [entry.reliability]:
                return False
        return True

    def wait_for(
        self, predicate: Callable[[], bool], timeout: float = WAIT_S, what: str = ""
    ) -> None:
        """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")

    def publish_pair(
        self,
        rgb_msg: Image,
        depth_msg: Image,
    ) -> None:
        """Publish an RGB and a depth message."""
        self.pub_rgb.publish(rgb_msg)
        self.pub_depth.publish(depth_msg)

    def output_with_stamp(self, stamp_ns: int) -> Image | None:
        """The received depth_sr message with this stamp, if any."""
        with self.lock:
            for msg in self.outputs:
                if stamp_of(msg) == stamp_ns:
                    return msg
        return None

    def wait_output(self, stamp_ns: int, timeout: float = WAIT_S) -> Image:
        """Wait for the depth_sr message with this stamp."""
        self.wait_for(
            lambda: self.output_with_stamp(stamp_ns) is not None,
            timeout,
            f"depth_sr stamped {stamp_ns}",
        )
        out = self.output_with_stamp(stamp_ns)
        assert out is not None
        return out

    def close(self) -> None:
        """Stop spinning and destroy both nodes."""
        self.executor.shutdown(timeout_sec=5.0)
        self.thread.join(10.0)
        if self.node is not None:
            self.node.destroy_node()
        self.client.destroy_node()


@pytest.fixture(scope="session")
def ros_context() -> Iterator[Context]:
    """An rclpy context for the whole session (shut down at the end)."""
    if rclpy is None:
        pytest.skip("rclpy/sensor_msgs not installed (pip install ros-jazzy-rclpy[fastrtps])")
    context = Context()
    rclpy.init(context=context)
    yield context
    rclpy.try_shutdown(context=context)


def node_params(model_file: Path, /, **values: Any) -> list[Parameter]:
    """Parameter overrides for a node running the test model on torch."""
    base: dict[str, Any] = {
        "model_path": str(model_file),
        "backend": "torch",
        "diagnostics_period": 0.5,
        "min_depth": 0.1,
        "max_depth": 10.0,
    }
    base.update(values)
    return [Parameter(name, value=value) for name, value in base.items()]


@pytest.fixture
def make_harness(ros_context: Context, test_model_path: Path) -> Iterator[Callable[..., Harness]]:
    """Factory: ``make_harness(reliability=..., **params)`` -> a connected :class:`Harness`."""
    from bridgenet_ros.ros.node import BridgeNetNode

    made: list[Harness] = []

    def make(reliability: Any = None, namespace: str | None = None, **params: Any) -> Harness:
        namespace = namespace or f"/h{next(_NAMESPACES)}"
        node = BridgeNetNode(
            context=ros_context,
            namespace=namespace,
            parameter_overrides=node_params(test_model_path, **params),
            qos_check_period_s=QOS_CHECK_S,
        )
        harness = Harness(ros_context, node, reliability or ReliabilityPolicy.RELIABLE, namespace)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


@pytest.fixture(scope="session")
def ros_helpers() -> SimpleNamespace:
    """The message builders and constants of this conftest, for the test modules."""
    return SimpleNamespace(
        RGB_HW=RGB_HW,
        DEPTH_HW=DEPTH_HW,
        QOS_CHECK_S=QOS_CHECK_S,
        Harness=Harness,
        image_msg=image_msg,
        camera_info_msg=camera_info_msg,
        scene=scene,
        stamp_of=stamp_of,
        node_params=node_params,
    )
