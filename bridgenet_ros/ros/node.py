# SPDX-License-Identifier: Apache-2.0
"""The ``bridgenet`` ROS 2 node: synchronized RGB + low-resolution depth in, dense depth out.

Topics (relative, so namespaces and remapping work):

- in: ``rgb/image`` (rgb8, bgr8, rgba8, bgra8, mono8), ``depth/image`` (16UC1 millimetres,
  0 invalid; 32FC1 metres, NaN/0 invalid), ``rgb/camera_info`` (optional, latest cached);
  KEEP_LAST 5, reliability matched to the publishers (``input_reliability``, see
  :mod:`bridgenet_ros.ros.qos`), overridable through the ``qos_overrides.*`` parameters.
- out: ``depth_sr/image`` (32FC1 metres, NaN invalid, the RGB header), ``depth_sr/camera_info``
  (the RGB camera scaled to the output grid), ``depth_mde/image`` + ``depth_mde/camera_info``
  when ``publish_mde`` is true, and ``/diagnostics``.

Threads: the executor runs the subscription callbacks, which only check message headers and pair
RGB with depth (:class:`~bridgenet_ros.ros.pairing.ApproximateTimePairer`); the newest pair goes
to a dedicated inference thread through a single-slot keep-latest buffer
(:class:`~bridgenet_ros.ros.inference_worker.InferenceWorker`), which decodes, runs the
:class:`~bridgenet_ros.runtime.pipeline.DepthSRPipeline` and publishes.

A bad message or pair is counted, warned about (throttled per problem) and dropped; it never
stops the node. A missing or corrupt model fails at start-up with a message saying what to run.
"""

from __future__ import annotations

import array
import dataclasses
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import rclpy
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.qos_overriding_options import QoSOverridingOptions
from sensor_msgs.msg import CameraInfo, Image

from bridgenet_ros.errors import BridgenetError, ConfigError, DataError, ShapeError
from bridgenet_ros.ros.codec import (
    COLOR_ENCODINGS,
    DEPTH_ENCODINGS,
    ENCODINGS,
    array_to_image_fields,
    decode_depth_m,
    decode_rgb,
)
from bridgenet_ros.ros.diagnostics import (
    RateMeter,
    WindowStats,
    summarize,
    to_diagnostic_array,
)
from bridgenet_ros.ros.inference_worker import InferenceWorker
from bridgenet_ros.ros.pairing import ApproximateTimePairer, Pair
from bridgenet_ros.ros.params import NodeConfig, declare_parameters
from bridgenet_ros.ros.pipeline_factory import build_pipeline
from bridgenet_ros.ros.qos import InputSubscriptions
from bridgenet_ros.runtime.camera import CameraIntrinsics
from bridgenet_ros.runtime.pipeline import DepthSRPipeline

__all__ = ["BridgeNetNode", "build_pipeline", "main"]

NODE_NAME = "bridgenet"
RGB, DEPTH = 0, 1
#: seconds between two warnings about the same problem
WARN_PERIOD_S = 5.0
#: problem counters reported in /diagnostics (all start at 0)
PROBLEMS = (
    "unsupported_encoding",
    "bad_data_length",
    "bad_image_size",
    "oversized_image",
    "big_endian_input",
    "size_mismatch",
    "all_invalid_depth",
    "stamp_jump_back",
    "missing_camera_info",
    "camera_info_mismatch",
    "inference_failed",
)
#: output QoS: reliable (rviz and most tools subscribe reliable), keep the latest two
OUTPUT_QOS = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE)


@dataclass
class _Frame:
    """What the inference thread needs from one pair."""

    rgb_msg: Any
    depth_msg: Any
    camera_info: Any | None


class BridgeNetNode(Node):
    """Depth super-resolution node (see the module docstring for topics and threads).

    Args:
        pipeline: an already built pipeline (tests, benchmarks); by default it is built from the
            parameters by :func:`build_pipeline`.
        node_name: the node name.
        **kwargs: passed to ``rclpy.node.Node`` (``parameter_overrides``, ``namespace``,
            ``context``...).

    Raises:
        ConfigError: a parameter is invalid or the model file is missing.
        BridgenetError: the model cannot be loaded.
    """

    def __init__(
        self,
        *,
        pipeline: DepthSRPipeline | None = None,
        node_name: str = NODE_NAME,
        **kwargs: Any,
    ) -> None:
        super().__init__(node_name, **kwargs)
        self._closed = False
        self.config: NodeConfig = declare_parameters(self)
        if pipeline is None:
            pipeline, model_file, _ = build_pipeline(self.config)
            self.model_label = str(model_file)
        else:
            self.model_label = self.config.model_path or "<injected pipeline>"
        self.pipeline = pipeline
        self.backend_name = pipeline.backend.name
        if self.config.publish_mde and not pipeline.backend.has_mde:
            self.get_logger().warning(
                "publish_mde is true but the model has no MDE head (dsr_only): "
                "depth_mde/* will not be published"
            )

        # re-entrant: the pairer's reset callback counts a problem while the lock is held
        self._lock = threading.RLock()
        self.counters: Counter[str] = Counter({name: 0 for name in PROBLEMS})
        self._last_warn: dict[str, float] = {}
        self._camera_info: Any | None = None
        self.rgb_rate = RateMeter()
        self.depth_rate = RateMeter()
        self.output_rate = RateMeter()
        self.latency_ms = WindowStats()
        self.inference_ms = WindowStats()
        self.pipeline_ms = WindowStats()
        self._period_marks = (0, 0, 0)

        self._pairer: ApproximateTimePairer[Any] = ApproximateTimePairer(
            self.config.sync_queue_size, self.config.sync_slop, on_reset=self._on_stamp_reset
        )
        self._worker: InferenceWorker[_Frame] = InferenceWorker(
            self._process, on_error=self._on_process_error, name="bridgenet_inference"
        )

        # input reliability follows the publishers (input_reliability, ros/qos.py)
        self.input_qos = InputSubscriptions(self, self.config.input_reliability)
        self.input_qos.add(Image, "rgb/image", self._on_rgb)
        self.input_qos.add(Image, "depth/image", self._on_depth)
        self.input_qos.add(CameraInfo, "rgb/camera_info", self._on_camera_info)
        overrides = QoSOverridingOptions.with_default_policies()
        self._pub_sr = self.create_publisher(
            Image, "depth_sr/image", OUTPUT_QOS, qos_overriding_options=overrides
        )
        self._pub_sr_info = self.create_publisher(
            CameraInfo, "depth_sr/camera_info", OUTPUT_QOS, qos_overriding_options=overrides
        )
        self._pub_mde = self._pub_mde_info = None
        if pipeline.backend.has_mde:
            self._pub_mde = self.create_publisher(
                Image, "depth_mde/image", OUTPUT_QOS, qos_overriding_options=overrides
            )
            self._pub_mde_info = self.create_publisher(
                CameraInfo, "depth_mde/camera_info", OUTPUT_QOS, qos_overriding_options=overrides
            )
        from diagnostic_msgs.msg import DiagnosticArray

        self._pub_diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._diag_timer = self.create_timer(self.config.diagnostics_period, self._publish_diag)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._worker.start()
        self.get_logger().info(
            f"bridgenet ready: backend {self.backend_name}, model {self.model_label}, "
            f"output {self.config.output_resolution}, slop {self.config.sync_slop} s, "
            f"inputs {self.input_qos.describe()}"
        )

    # ----------------------------------------------------------------- executor-side callbacks

    def _on_rgb(self, msg: Image) -> None:
        self.rgb_rate.tick()
        if self._check_message(msg, COLOR_ENCODINGS, "rgb/image"):
            self._add(RGB, msg)

    def _on_depth(self, msg: Image) -> None:
        self.depth_rate.tick()
        if self._check_message(msg, DEPTH_ENCODINGS, "depth/image"):
            self._add(DEPTH, msg)

    def _on_camera_info(self, msg: CameraInfo) -> None:
        with self._lock:
            self._camera_info = msg

    def _check_message(self, msg: Image, encodings: Sequence[str], topic: str) -> bool:
        """Cheap header checks before pairing, so a bad message never takes a partner."""
        if msg.encoding not in encodings:
            self._problem(
                "unsupported_encoding",
                f"{topic}: unsupported encoding {msg.encoding!r}; expected one of "
                f"{list(encodings)}",
            )
            return False
        if msg.height == 0 or msg.width == 0:
            self._problem("bad_image_size", f"{topic}: empty image {msg.width}x{msg.height}")
            return False
        if msg.height * msg.width > self.config.max_input_pixels:
            self._problem(
                "oversized_image",
                f"{topic}: {msg.width}x{msg.height} image exceeds max_input_pixels="
                f"{self.config.max_input_pixels}",
            )
            return False
        base, channels = ENCODINGS[msg.encoding]
        row = msg.width * channels * np.dtype(base).itemsize
        if msg.step < row:
            self._problem(
                "bad_image_size",
                f"{topic}: step {msg.step} is smaller than a {msg.width}-pixel {msg.encoding} "
                f"row ({row} bytes)",
            )
            return False
        if len(msg.data) != msg.step * msg.height:
            self._problem(
                "bad_data_length",
                f"{topic}: data length {len(msg.data)} != step x height = "
                f"{msg.step} x {msg.height}",
            )
            return False
        if msg.is_bigendian and np.dtype(base).itemsize > 1:
            # Decoded correctly (byte-swapped), but worth knowing: it costs a copy per frame.
            self._problem(
                "big_endian_input", f"{topic}: big-endian {msg.encoding} data (byte-swapped)"
            )
        return True

    def _add(self, stream: int, msg: Image) -> None:
        stamp_ns = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        with self._lock:
            pair = self._pairer.add(stream, stamp_ns, msg)
            info = self._camera_info
        if pair is not None:
            self._submit(pair, info)

    def _submit(self, pair: Pair[Any], info: Any | None) -> None:
        self._worker.submit(
            _Frame(rgb_msg=pair.items[RGB], depth_msg=pair.items[DEPTH], camera_info=info)
        )

    def _on_stamp_reset(self, stream: int, previous_ns: int, stamp_ns: int) -> None:
        name = "rgb/image" if stream == RGB else "depth/image"
        self._problem(
            "stamp_jump_back",
            f"{name}: stamp jumped back from {previous_ns / 1e9:.3f} s to {stamp_ns / 1e9:.3f} s "
            "(looping bag or restarted source): pairing reset",
        )

    # ------------------------------------------------------------------ inference thread

    def _process(self, frame: _Frame) -> None:
        """Decode, run the pipeline and publish one pair (runs on the inference thread)."""
        rgb_msg, depth_msg = frame.rgb_msg, frame.depth_msg
        try:
            rgb = decode_rgb(rgb_msg)
            depth_lr = decode_depth_m(depth_msg)
        except DataError as err:
            self._problem("bad_image_size", f"cannot decode the pair: {err}")
            return
        try:
            result = self.pipeline.run(rgb, depth_lr)
        except ShapeError as err:
            self._problem("size_mismatch", f"RGB/depth pair rejected: {err}")
            return
        if result.depth_range is None:  # the pipeline found no valid LR pixel
            self._problem(
                "all_invalid_depth",
                f"depth/image at {depth_msg.header.stamp.sec}.{depth_msg.header.stamp.nanosec:09d}"
                " has no valid pixel: publishing all-NaN depth",
            )
        else:
            self.inference_ms.add(result.timings_ms["inference"])
            self.pipeline_ms.add(sum(result.timings_ms.values()))
        header = rgb_msg.header
        out_h, out_w = result.depth_sr.shape
        info_out = self._camera_info_for(frame.camera_info, rgb.shape[:2], (out_h, out_w), header)
        self._pub_sr.publish(self._image_msg(result.depth_sr, header))
        if info_out is not None:
            self._pub_sr_info.publish(info_out)
        if (
            self.config.publish_mde
            and result.depth_mde is not None
            and self._pub_mde is not None
            and self._pub_mde_info is not None
        ):
            self._pub_mde.publish(self._image_msg(result.depth_mde, header))
            if info_out is not None:
                self._pub_mde_info.publish(info_out)
        now_ns = self.get_clock().now().nanoseconds
        stamp_ns = header.stamp.sec * 1_000_000_000 + header.stamp.nanosec
        self.latency_ms.add((now_ns - stamp_ns) / 1e6)
        self.output_rate.tick()

    def _image_msg(self, depth: np.ndarray, header: Any) -> Image:
        fields = array_to_image_fields(depth.astype(np.float32, copy=False), "32FC1")
        msg = Image()
        msg.header = header
        msg.height, msg.width = fields.height, fields.width
        msg.encoding = fields.encoding
        msg.is_bigendian = fields.is_bigendian
        msg.step = fields.step
        data = array.array("B")
        data.frombytes(fields.data)
        msg.data = data
        return msg

    def _camera_info_for(
        self, info: Any | None, rgb_hw: tuple[int, int], out_hw: tuple[int, int], header: Any
    ) -> CameraInfo | None:
        if info is None:
            self._problem(
                "missing_camera_info",
                "no rgb/camera_info received yet: publishing depth_sr/image without camera_info",
            )
            return None
        if (int(info.height), int(info.width)) != tuple(rgb_hw):
            self._problem(
                "camera_info_mismatch",
                f"rgb/camera_info is {info.width}x{info.height} but rgb/image is "
                f"{rgb_hw[1]}x{rgb_hw[0]}: not publishing depth_sr/camera_info",
            )
            return None
        try:
            scaled = self.pipeline.scale_camera_info(
                CameraIntrinsics(
                    width=int(info.width),
                    height=int(info.height),
                    k=np.asarray(info.k),
                    p=np.asarray(info.p),
                )
            )
        except ShapeError as err:
            self._problem("camera_info_mismatch", f"rgb/camera_info unusable: {err}")
            return None
        out = CameraInfo()
        out.header = header
        out.height, out.width = scaled.height, scaled.width
        out.distortion_model = info.distortion_model
        out.d = list(info.d)
        out.k = scaled.k.reshape(-1).tolist()
        out.r = list(info.r)
        out.p = scaled.p.reshape(-1).tolist()
        out.binning_x, out.binning_y = info.binning_x, info.binning_y
        if (scaled.height, scaled.width) == tuple(rgb_hw):
            out.roi = info.roi
        return out

    def _on_process_error(self, err: Exception, frame: _Frame) -> None:
        self._problem("inference_failed", f"inference failed: {type(err).__name__}: {err}")

    # ------------------------------------------------------------------ problems, diagnostics

    def _problem(self, kind: str, message: str) -> None:
        """Count a problem and warn about it, at most once per ``WARN_PERIOD_S`` per kind."""
        now = time.monotonic()
        with self._lock:
            self.counters[kind] += 1
            count = self.counters[kind]
            last = self._last_warn.get(kind)
            if last is not None and now - last < WARN_PERIOD_S:
                return
            self._last_warn[kind] = now
        self.get_logger().warning(f"{message} [{kind}: {count} so far]")

    def stats(self) -> dict[str, int]:
        """Problem and drop counters since start-up (a copy)."""
        with self._lock:
            counters = dict(self.counters)
            pairing = self._pairer.stats
            counters["pairing_unpaired"] = pairing.evicted
            counters["pairs"] = pairing.paired
        counters["dropped_busy"] = self._worker.dropped
        counters["outputs"] = self.output_rate.total
        return counters

    def diagnostic_summary(self) -> Any:
        """The current :class:`~bridgenet_ros.ros.diagnostics.DiagnosticSummary`."""
        counters = self.stats()
        problems = sum(counters[name] for name in PROBLEMS)
        inputs = self.rgb_rate.total + self.depth_rate.total
        outputs = self.output_rate.total
        last_inputs, last_outputs, last_problems = self._period_marks
        self._period_marks = (inputs, outputs, problems)
        return summarize(
            rgb_rate=self.rgb_rate.rate(),
            depth_rate=self.depth_rate.rate(),
            output_rate=self.output_rate.rate(),
            latency_ms=self.latency_ms,
            inference_ms=self.inference_ms,
            pipeline_ms=self.pipeline_ms,
            counters=counters,
            backend=self.backend_name,
            model=self.model_label,
            new_outputs=outputs - last_outputs,
            new_inputs=inputs - last_inputs,
            new_problems=problems - last_problems,
        )

    def _publish_diag(self) -> None:
        summary = self.diagnostic_summary()
        self._pub_diag.publish(
            to_diagnostic_array(
                summary,
                name=f"{self.get_fully_qualified_name().lstrip('/')}: depth super-resolution",
                hardware_id=self.backend_name,
                stamp=self.get_clock().now().to_msg(),
            )
        )

    # ------------------------------------------------------------------ parameters, shutdown

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        """Validate and apply run-time changes (read-only ones are refused by rclpy first)."""
        changes = {p.name: p.value for p in parameters if hasattr(self.config, p.name)}
        if not changes:
            return SetParametersResult(successful=True)
        try:
            config = self.config.replace(**changes)
        except ConfigError as err:
            return SetParametersResult(successful=False, reason=str(err))
        if config.publish_mde and not self.pipeline.backend.has_mde:
            return SetParametersResult(
                successful=False, reason="publish_mde: the model has no MDE head (dsr_only)"
            )
        with self._lock:
            self._pairer.configure(config.sync_queue_size, config.sync_slop)
        runtime = dataclasses.replace(
            self.pipeline.config, min_depth=config.min_depth, max_depth=config.max_depth
        )
        self.pipeline.config = runtime  # an atomic reference swap, read once per frame
        if config.diagnostics_period != self.config.diagnostics_period:
            self._diag_timer.timer_period_ns = int(config.diagnostics_period * 1e9)
            self._diag_timer.reset()
        self.config = config
        self.get_logger().info(f"parameters changed: {changes}")
        return SetParametersResult(successful=True)

    @property
    def worker_alive(self) -> bool:
        """Whether the inference thread is running."""
        return self._worker.alive

    def destroy_node(self) -> None:
        """Stop the inference thread, release the backend and destroy the node."""
        if not self._closed:
            self._closed = True
            if not self._worker.stop(timeout=30.0):
                self.get_logger().error("inference thread did not stop within 30 s")
            self.pipeline.backend.close()
        super().destroy_node()


def main(args: Sequence[str] | None = None) -> int:
    """Run the node until Ctrl-C or shutdown; the ``bridgenet_node`` executable.

    Returns:
        0 on a clean shutdown, 2 for bad parameters or a missing model, 1 when the model fails to
        load.
    """
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    rclpy.init(args=list(args) if args is not None else None)
    node: BridgeNetNode | None = None
    status = 0
    try:
        node = BridgeNetNode()
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        status = 0
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        status = 2
    except BridgenetError as err:
        print(f"error: {err}", file=sys.stderr)
        status = 1
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return status


if __name__ == "__main__":
    sys.exit(main())
