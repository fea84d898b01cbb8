# SPDX-License-Identifier: Apache-2.0
"""The ``bridgenet`` ROS 2 node: synchronized RGB + low-resolution depth in, dense depth out.

Topics (relative, so namespaces and remapping work):

- in: ``rgb/image`` (rgb8, bgr8, rgba8, bgra8, mono8), ``depth/image`` (16UC1 or mono16
  millimetres, 0 invalid; 32FC1 metres, NaN/0 invalid), ``rgb/camera_info`` and
  ``depth/camera_info`` (optional, latest cached; both needed by ``register_depth``);
  KEEP_LAST 5, reliability matched to the publishers (``input_reliability``, see
  :mod:`bridgenet_ros.ros.qos`), overridable through the ``qos_overrides.*`` parameters.
- out: ``depth_sr/image`` (32FC1 metres, NaN invalid, the RGB header), ``depth_sr/camera_info``
  (the RGB camera scaled to the output grid), ``depth_mde/image`` + ``depth_mde/camera_info``
  when ``publish_mde`` is true, and ``/diagnostics``.

The per-frame work is :class:`~bridgenet_ros.stream.frame_stream.FrameStream`, the same object
the offline bench drives; this module is only the ROS glue (subscriptions, publishers, timers,
parameters). Threads: the executor runs the subscription callbacks, which only call
:meth:`FrameStream.offer` (header checks and ApproximateTime pairing); the newest pair goes to a
dedicated inference thread through a single-slot keep-latest buffer
(:class:`~bridgenet_ros.ros.inference_worker.InferenceWorker`), which calls
:meth:`FrameStream.process` (decode, registration hook, pipeline, encode) and publishes.

Registration (``register_depth``): a
:class:`~bridgenet_ros.stream.registration_hook.RegistrationHook` on :attr:`FrameStream.registrar`
reprojects the LR depth into the colour camera once ``rgb/camera_info`` and the extrinsic
(``depth_to_rgb``, or TF between the images' frame ids with ``depth_to_rgb_from_tf``) are known;
until then frames are counted as ``registration_failed`` and dropped. Without it, depth and RGB
camera_infos of different cameras are counted as ``depth_not_registered`` and warned about.

Diagnostics report the node latency (receipt of the completing message → publish, monotonic
clock) apart from the stamp age (node clock now − header stamp: meaningful only when the
camera and this machine share a clock; ``use_sim_time`` is honoured through the node clock).

A bad message or pair is counted, warned about (throttled per problem) and dropped; it never
stops the node. A missing or corrupt model fails at start-up with a message saying what to run.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, Sequence

import rclpy
from rcl_interfaces.msg import SetParametersResult
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.qos_overriding_options import QoSOverridingOptions
from sensor_msgs.msg import CameraInfo, Image

from bridgenet_ros.blas import limit_blas_threads
from bridgenet_ros.errors import BridgenetError, ConfigError
from bridgenet_ros.malloc import tune_malloc
from bridgenet_ros.ros.declare_params import declare_parameters
from bridgenet_ros.ros.diagnostics import (
    NODE_STAGES,
    RateMeter,
    StageStats,
    WindowStats,
    summarize,
    to_diagnostic_array,
)
from bridgenet_ros.ros.inference_worker import InferenceWorker
from bridgenet_ros.ros.qos import CHECK_PERIOD_S, InputSubscriptions
from bridgenet_ros.runtime.backends.graph_runner import Pipeline
from bridgenet_ros.runtime.camera import CameraIntrinsics
from bridgenet_ros.stream.codec import ImageFields
from bridgenet_ros.stream.frame_stream import (
    DEPTH,
    PROBLEMS,
    RGB,
    FrameOutput,
    FrameStream,
    PairedFrame,
    Registrar,
)
from bridgenet_ros.stream.params import NodeConfig
from bridgenet_ros.stream.pipeline_factory import build_pipeline
from bridgenet_ros.stream.registration import distortion_warning
from bridgenet_ros.stream.registration_hook import RegistrationHook

__all__ = ["BridgeNetNode", "build_pipeline", "main"]

NODE_NAME = "bridgenet"
#: output QoS: reliable (rviz and most tools subscribe reliable), keep the latest two
OUTPUT_QOS = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE)


class BridgeNetNode(Node):
    """Depth super-resolution node (see the module docstring for topics and threads).

    Args:
        pipeline: an already built pipeline (numpy or deployment graph; tests, benchmarks); by
            default it is built from the parameters by :func:`build_pipeline`.
        registrar: the registration hook of :class:`FrameStream` (LR depth in metres and the
            depth intrinsics in, depth on the colour camera out); ``None``: built from the
            ``register_depth`` parameters (:meth:`_registration_hook`), or depth is used as
            received (already registered) when ``register_depth`` is false.
        node_name: the node name.
        qos_check_period_s: seconds between two looks at the publishers of the ``auto`` inputs
            (:data:`~bridgenet_ros.ros.qos.CHECK_PERIOD_S`; the tests shorten it).
        **kwargs: passed to ``rclpy.node.Node`` (``parameter_overrides``, ``namespace``,
            ``context``...).

    Raises:
        ConfigError: a parameter is invalid or the model file is missing.
        BridgenetError: the model cannot be loaded.
    """

    def __init__(
        self,
        *,
        pipeline: Pipeline | None = None,
        registrar: Registrar | None = None,
        node_name: str = NODE_NAME,
        qos_check_period_s: float = CHECK_PERIOD_S,
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

        self.registration: RegistrationHook | None = None
        if registrar is None and self.config.register_depth:
            registrar = self.registration = self._registration_hook()
        self.stream = FrameStream(
            pipeline, self.config, registrar=registrar, warn=self.get_logger().warning
        )
        self._distortion_checked: set[str] = set()
        self.rgb_rate = RateMeter()
        self.depth_rate = RateMeter()
        self.output_rate = RateMeter()
        self.latency_ms = WindowStats()  # receipt -> publish, monotonic clock
        self.stamp_age_ms = WindowStats()  # node clock now - header stamp
        self.inference_ms = WindowStats()
        self.pipeline_ms = WindowStats()
        self.stages = StageStats(NODE_STAGES)  # per-stage times of frames that ran the network
        self.last_align_offset: tuple[float, float] | None = None  # align_depth: auto only
        self._period_marks = (0, 0, 0)

        self._worker: InferenceWorker[PairedFrame] = InferenceWorker(
            self._process, on_error=self._on_process_error, name="bridgenet_inference"
        )

        # input reliability follows the publishers (input_reliability, ros/qos.py)
        self.input_qos = InputSubscriptions(
            self, self.config.input_reliability, check_period_s=qos_check_period_s
        )
        self.input_qos.add(Image, "rgb/image", self._on_rgb)
        self.input_qos.add(Image, "depth/image", self._on_depth)
        self.input_qos.add(CameraInfo, "rgb/camera_info", self._on_rgb_info)
        self.input_qos.add(CameraInfo, "depth/camera_info", self._on_depth_info)
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
        # steady clock: diagnostics keep coming with use_sim_time while /clock is paused or absent
        self._diag_timer = self.create_timer(
            self.config.diagnostics_period,
            self._publish_diag,
            clock=Clock(clock_type=ClockType.STEADY_TIME),
        )
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._worker.start()
        self.get_logger().info(
            f"bridgenet ready: backend {self.backend_name}, model {self.model_label}, "
            f"output {self.config.output_resolution}, slop {self.config.sync_slop} s, "
            f"registration {self._registration_label()}, inputs {self.input_qos.describe()}"
        )

    # ----------------------------------------------------------------------- registration

    def _registration_hook(self) -> RegistrationHook:
        """The registration hook of ``register_depth`` (extrinsic from the parameter or TF).

        Raises:
            ConfigError: ``depth_to_rgb_from_tf`` is true and ``tf2_ros`` does not import.
        """
        extrinsic = self.config.extrinsic()
        if extrinsic is not None:
            return RegistrationHook(extrinsic=extrinsic)
        from bridgenet_ros.ros.tf_extrinsic import tf_extrinsic_source

        return RegistrationHook(source=tf_extrinsic_source(self))

    def _registration_label(self) -> str:
        """How depth is registered, for the start-up line."""
        if self.registration is not None:
            source = "depth_to_rgb" if self.registration.extrinsic is not None else "TF"
            return f"on (extrinsic from {source})"
        return "off" if self.stream.registrar is None else "on (injected registrar)"

    def _on_rgb_info(self, msg: CameraInfo) -> None:
        self.stream.set_camera_info(msg)
        if self.registration is not None:
            self.registration.set_rgb_camera_info(msg)
        self._check_distortion("rgb", msg)

    def _on_depth_info(self, msg: CameraInfo) -> None:
        self.stream.set_depth_camera_info(msg)
        self._check_distortion("depth", msg)

    def _check_distortion(self, which: str, msg: CameraInfo) -> None:
        """With registration on, warn once per camera about lens distortion it ignores."""
        if self.stream.registrar is None or which in self._distortion_checked:
            return
        self._distortion_checked.add(which)
        warning = distortion_warning(msg.distortion_model, msg.d, which)
        if warning is not None:
            self.get_logger().warning(warning)

    # ----------------------------------------------------------------- executor-side callbacks

    def _on_rgb(self, msg: Image) -> None:
        self.rgb_rate.tick()
        self._submit(self.stream.offer(RGB, msg))

    def _on_depth(self, msg: Image) -> None:
        self.depth_rate.tick()
        self._submit(self.stream.offer(DEPTH, msg))

    def _submit(self, frame: PairedFrame | None) -> None:
        if frame is None:
            return
        if self.registration is not None:  # the TF lookup needs the pair's frame ids
            self.registration.set_frame_ids(
                frame.rgb.msg.header.frame_id, frame.depth.msg.header.frame_id
            )
        self._worker.submit(frame)

    # ------------------------------------------------------------------ inference thread

    def _process(self, frame: PairedFrame) -> None:
        """Run one pair through the stream and publish it (runs on the inference thread)."""
        t_start = time.monotonic()
        output = self.stream.process(frame)
        if output is None or self._closed:
            return
        t_publish = time.monotonic()
        self._publish(output)
        self._record(frame, output, (t_start, t_publish, time.monotonic()))

    def _record(
        self, frame: PairedFrame, output: FrameOutput, marks: tuple[float, float, float]
    ) -> None:
        """Latency, stage times and rates of one published frame (after the publish).

        Args:
            frame: the input pair.
            output: its output.
            marks: monotonic seconds when the inference thread started on the pair, when
                publishing began and when it ended.
        """
        t_start, t_publish, t_end = marks
        latency_ms = (t_end - frame.receipt_s) * 1e3
        self.latency_ms.add(latency_ms)
        stages = dict(output.timings_ms)
        stages["wait"] = (t_start - frame.receipt_s) * 1e3
        stages["publish"] = (t_end - t_publish) * 1e3
        stages["other"] = latency_ms - sum(stages.values())
        if output.result.depth_range is not None:
            self.inference_ms.add(output.result.timings_ms["inference"])
            self.pipeline_ms.add(sum(output.result.timings_ms.values()))
            self.stages.add(stages, latency_ms)
        self.last_align_offset = output.result.align_offset_px
        now_ns = self.get_clock().now().nanoseconds
        self.stamp_age_ms.add((now_ns - frame.rgb.stamp_ns) / 1e6)
        self.output_rate.tick()

    def _publish(self, output: FrameOutput) -> None:
        header = output.frame.rgb.msg.header
        info_out = self._camera_info_msg(output.frame.camera_info, output.camera_info, header)
        self._pub_sr.publish(self._image_msg(output.depth_sr, header))
        if info_out is not None:
            self._pub_sr_info.publish(info_out)
        if (
            self.config.publish_mde
            and output.depth_mde is not None
            and self._pub_mde is not None
            and self._pub_mde_info is not None
        ):
            self._pub_mde.publish(self._image_msg(output.depth_mde, header))
            if info_out is not None:
                self._pub_mde_info.publish(info_out)

    @staticmethod
    def _image_msg(fields: ImageFields, header: Any) -> Image:
        msg = Image()
        msg.header = header
        msg.height, msg.width = fields.height, fields.width
        msg.encoding = fields.encoding
        msg.is_bigendian = fields.is_bigendian
        msg.step = fields.step
        # fill the message's own (empty) uint8 array: one copy; assigning an array.array to
        # msg.data would copy it once more on Jazzy
        msg.data.frombytes(fields.data)
        return msg

    @staticmethod
    def _camera_info_msg(
        info: Any | None, scaled: CameraIntrinsics | None, header: Any
    ) -> CameraInfo | None:
        """``depth_sr/camera_info``: the RGB camera_info with ``scaled`` size, K and P."""
        if info is None or scaled is None:
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
        if (scaled.height, scaled.width) == (int(info.height), int(info.width)):
            out.roi = info.roi
        return out

    def _on_process_error(self, err: Exception, frame: PairedFrame) -> None:
        if self._closed or not self.context.ok():
            # The frame in flight at shutdown: publishing on a shut-down context is expected
            # to fail and is not an inference failure.
            return
        self.stream.problem("inference_failed", f"inference failed: {type(err).__name__}: {err}")

    # ------------------------------------------------------------------ problems, diagnostics

    @property
    def counters(self) -> Any:
        """The stream's problem counters (name -> count)."""
        return self.stream.counters

    def stats(self) -> dict[str, int]:
        """Problem, pairing and drop counters since start-up (a copy)."""
        counters = self.stream.stats()
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
            stamp_age_ms=self.stamp_age_ms,
            inference_ms=self.inference_ms,
            pipeline_ms=self.pipeline_ms,
            counters=counters,
            backend=self.backend_name,
            model=self.model_label,
            new_outputs=outputs - last_outputs,
            new_inputs=inputs - last_inputs,
            new_problems=problems - last_problems,
            stages=self.stages,
            align_offset_px=self.last_align_offset,
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
        try:  # pairing, size limit, depth limits (atomic swap)
            self.stream.configure(config)
        except ConfigError as err:  # a deployment graph has its depth limits baked in
            return SetParametersResult(successful=False, reason=str(err))
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

    The process entry point. A Ctrl-C during the clean-up prints one line and exits with 130 at
    once; once the node is shut down, further Ctrl-C are ignored so that a late one cannot
    interrupt the interpreter's own teardown (torch finalizers) with a traceback.

    Returns:
        0 on a clean shutdown, 2 for bad parameters or a missing model, 1 when the model fails to
        load, 130 when a second Ctrl-C cut the shutdown short.
    """
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    # A user's setting wins. numpy is loaded by this module's imports already, so OpenBLAS
    # itself only follows a value set in the environment beforehand (the launch file sets it);
    # the call keeps the variable set for anything started or loaded from here on.
    limit_blas_threads()
    tune_malloc()  # per-frame arrays reuse heap pages instead of faulting fresh ones in
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        signal.signal(signal.SIGINT, _Interrupts())
    rclpy.init(args=list(args) if args is not None else None)
    node: BridgeNetNode | None = None
    status = 0
    try:
        # the executor first: "bridgenet ready" (logged by the node) means Ctrl-C is handled
        executor = SingleThreadedExecutor()
        node = BridgeNetNode()
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
    except Exception:
        if rclpy.ok():
            raise
        # Ctrl-C shut the context down while the executor was building its wait set (RCLError)
        status = 0
    finally:
        try:
            status = shutdown(node, status)
        except KeyboardInterrupt:  # only where the handler above could not be installed
            status = 130
        if in_main:  # the interpreter's teardown (torch finalizers) must not be interrupted
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    return status


class _Interrupts:
    """SIGINT handler: the first Ctrl-C raises ``KeyboardInterrupt``, a second one exits.

    The second prints one line and exits with 130 at once, wherever the clean-up is (the
    inference thread is a daemon thread). Installed before ``rclpy.init``, whose own handler
    wakes the executor and then calls this one.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, signum: int, frame: Any) -> None:
        self.count += 1
        if self.count == 1:
            raise KeyboardInterrupt
        print(
            "interrupted again: exiting without waiting for the frame in flight", file=sys.stderr
        )
        sys.stderr.flush()
        os._exit(130)


def shutdown(node: Any | None, status: int) -> int:
    """Destroy ``node`` and shut rclpy down; a second Ctrl-C meanwhile exits without a traceback.

    Args:
        node: the node (``None`` when it failed to start).
        status: the exit status so far.

    Returns:
        ``status``, or 130 when a second Ctrl-C interrupted the shutdown (the inference thread
        is a daemon thread: the process ends without waiting for it).
    """
    try:
        if node is not None:
            node.destroy_node()
    except KeyboardInterrupt:
        print(
            "interrupted again: exiting without waiting for the frame in flight", file=sys.stderr
        )
        status = 130
    try:
        rclpy.try_shutdown()
    except KeyboardInterrupt:
        status = 130
    except Exception:
        if rclpy.ok():
            raise
        # rclpy's SIGINT handler shut the context down at the same moment ("already called")
    return status


if __name__ == "__main__":
    sys.exit(main())
