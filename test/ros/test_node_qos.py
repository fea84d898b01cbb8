# SPDX-License-Identifier: Apache-2.0
"""Input QoS of the node in-process with real rclpy: ``input_reliability`` and its overrides.

``auto`` subscriptions become reliable for reliable publishers, stay best effort for best-effort
ones, and follow the publisher set when it changes; fixed modes and per-topic overrides are never
switched.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import pytest

from bridgenet_ros.errors import ConfigError

pytestmark = [pytest.mark.ros, pytest.mark.slow]

rclpy = pytest.importorskip("rclpy", reason="rclpy (ros-jazzy-rclpy wheels) is not installed")

from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402

from bridgenet_ros.ros.node import BridgeNetNode  # noqa: E402

MS = 1_000_000
INPUTS = ("rgb/image", "depth/image", "rgb/camera_info", "depth/camera_info")


def _node_side(harness: Any) -> dict[str, str]:
    """Input topic (relative) -> the reliability the node created its subscription with."""
    prefix = f"{harness.namespace}/"
    return {e.topic.removeprefix(prefix): e.reliability for e in harness.node.input_qos.inputs}


def _seen_by_client(harness: Any, topic: str) -> list[str]:
    """Reliability of the node's subscriptions on ``topic`` as the client's graph shows them."""
    return [
        info.qos_profile.reliability.name.lower()
        for info in harness.client.get_subscriptions_info_by_topic(f"{harness.namespace}/{topic}")
        if info.node_name == "bridgenet"
    ]


def _send_pairs(harness: Any, helpers: Any, count: int, seed: int = 0) -> list[int]:
    """Publish ``count`` pairs 100 ms apart (slower than the tiny model's inference)."""
    rgb, depth_mm = helpers.scene(seed)
    start = int(harness.client.get_clock().now().nanoseconds)
    stamps = [start + k * 100 * MS for k in range(count)]
    harness.pub_info.publish(helpers.camera_info_msg(*helpers.RGB_HW, start))
    for stamp in stamps:
        harness.publish_pair(
            helpers.image_msg(rgb, "rgb8", stamp), helpers.image_msg(depth_mm, "16UC1", stamp)
        )
        time.sleep(0.1)
    return stamps


def test_auto_becomes_reliable_for_reliable_publishers_and_every_pair_arrives(
    make_harness: Callable[..., Any], ros_helpers: Any
) -> None:
    harness = make_harness(reliability=ReliabilityPolicy.RELIABLE)
    harness.wait_connected()  # includes: the node's inputs matched our (reliable) publishers
    assert _node_side(harness) == {topic: "reliable" for topic in INPUTS}
    for topic in INPUTS:
        assert _seen_by_client(harness, topic) == ["reliable"]  # re-created, not duplicated
    stamps = _send_pairs(harness, ros_helpers, 6)
    harness.wait_output(stamps[-1])
    stats = harness.node.stats()
    assert stats["pairs"] == 6
    assert stats["outputs"] + stats["dropped_busy"] == 6


def test_auto_stays_best_effort_for_best_effort_publishers_and_frames_arrive(
    make_harness: Callable[..., Any], ros_helpers: Any
) -> None:
    harness = make_harness(reliability=ReliabilityPolicy.BEST_EFFORT)
    harness.wait_connected()
    time.sleep(
        3 * harness.node.input_qos.check_period_s
    )  # several looks at the publishers: nothing to switch
    assert _node_side(harness) == {topic: "best_effort" for topic in INPUTS}
    assert _seen_by_client(harness, "rgb/image") == ["best_effort"]
    stamps = _send_pairs(harness, ros_helpers, 4, seed=1)
    harness.wait_output(stamps[-1])


def test_auto_follows_the_publisher_set(make_harness: Callable[..., Any]) -> None:
    harness = make_harness(reliability=ReliabilityPolicy.RELIABLE)
    harness.wait_connected()
    assert _node_side(harness)["rgb/image"] == "reliable"
    from sensor_msgs.msg import Image

    # a best-effort publisher joins rgb/image: a reliable reader would never hear it
    extra = harness.client.create_publisher(
        Image, "rgb/image", QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)
    )
    switched = {
        "rgb/image": "best_effort",
        "depth/image": "reliable",  # other inputs keep their own choice
        "rgb/camera_info": "reliable",
        "depth/camera_info": "reliable",
    }
    # both views must agree (the client's graph cache can lag the node's re-subscription)
    harness.wait_for(
        lambda: _seen_by_client(harness, "rgb/image") == ["best_effort"]
        and _node_side(harness) == switched,
        10,
        "the switch to best effort",
    )
    harness.wait_for(lambda: extra.get_subscription_count() == 1, 10, "the extra publisher")
    # it leaves: every remaining publisher is reliable again
    harness.client.destroy_publisher(extra)
    harness.wait_for(
        lambda: _seen_by_client(harness, "rgb/image") == ["reliable"]
        and _node_side(harness)["rgb/image"] == "reliable",
        10,
        "the switch back to reliable",
    )


@pytest.mark.parametrize(
    ("mode", "publishers", "matched"),
    [
        ("best_effort", ReliabilityPolicy.RELIABLE, True),  # best effort matches any writer
        ("reliable", ReliabilityPolicy.BEST_EFFORT, False),  # never matches a best-effort one
    ],
)
def test_explicit_input_reliability_is_never_switched(
    make_harness: Callable[..., Any], mode: str, publishers: ReliabilityPolicy, matched: bool
) -> None:
    harness = make_harness(reliability=publishers, input_reliability=mode)
    harness.wait_for(lambda: bool(_seen_by_client(harness, "rgb/image")), 10, "subscription")
    time.sleep(4 * harness.node.input_qos.check_period_s)
    assert _node_side(harness) == {topic: mode for topic in INPUTS}
    assert _seen_by_client(harness, "rgb/image") == [mode]
    assert (harness.pub_rgb.get_subscription_count() == 1) is matched


def test_per_topic_override_beats_input_reliability(make_harness: Callable[..., Any]) -> None:
    harness = make_harness(
        reliability=ReliabilityPolicy.RELIABLE,
        namespace="/qos_topic",
        input_reliability="best_effort",
        **{"qos_overrides./qos_topic/rgb/image.subscription.reliability": "auto"},
    )
    harness.wait_for(lambda: _seen_by_client(harness, "rgb/image") == ["reliable"], 10)
    time.sleep(2 * harness.node.input_qos.check_period_s)
    assert _node_side(harness) == {
        "rgb/image": "reliable",
        "depth/image": "best_effort",
        "rgb/camera_info": "best_effort",
        "depth/camera_info": "best_effort",
    }
    name = "qos_overrides./qos_topic/depth/image.subscription.reliability"
    assert harness.node.get_parameter(name).value == "best_effort"  # default: input_reliability


def test_invalid_override_fails_at_start_up(
    ros_context: Any, test_model_path: Path, ros_helpers: Any
) -> None:
    name = "qos_overrides./bad_qos/depth/image.subscription.reliability"
    with pytest.raises(ConfigError, match=rf"{name}='sometimes'.*auto"):
        BridgeNetNode(
            context=ros_context,
            namespace="/bad_qos",
            parameter_overrides=ros_helpers.node_params(test_model_path, **{name: "sometimes"}),
        )


def test_a_failing_publisher_lookup_does_not_stop_the_node(
    make_harness: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def broken(self: Any, topic: str, no_mangle: bool = False) -> Any:
        calls.append(topic)
        raise RuntimeError("graph unavailable")

    # broken from the node's first look on (the client is a plain rclpy node: not affected)
    monkeypatch.setattr(BridgeNetNode, "get_publishers_info_by_topic", broken)
    harness = make_harness(reliability=ReliabilityPolicy.RELIABLE)
    harness.wait_for(lambda: len(calls) >= 2, 10, "two failed looks at the publishers")
    assert harness.thread.is_alive()  # the executor kept spinning
    assert _node_side(harness)["rgb/image"] == "best_effort"  # nothing switched blindly
    monkeypatch.undo()
    harness.wait_connected()  # the next look works: inputs switch to reliable
    assert _node_side(harness)["rgb/image"] == "reliable"
