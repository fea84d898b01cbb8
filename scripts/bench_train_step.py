#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Time one training step (forward + L1 loss + backward) of a variant on the CPU, by memory format.

    python scripts/bench_train_step.py --variant lite_hr --batch 8 --crop 192 --threads 1

Prints the median of ``--runs`` steps after ``--warmup`` for contiguous (NCHW) and channels-last
(NHWC) weights and batches, measured in the same run; ``--bf16`` adds CPU bf16 autocast rows
(not used by the trainer: bf16 inputs round depth to ~0.4 %, coarser than the corrections).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from typing import Any

import torch

from bridgenet_ros.model import create_model


def _median_step(model: Any, fmt: torch.memory_format, amp: bool, args: Any) -> float:
    model = model.to(memory_format=fmt)
    rgb = torch.rand(args.batch, 3, args.crop, args.crop).contiguous(memory_format=fmt)
    depth = torch.rand(args.batch, 1, args.crop, args.crop).contiguous(memory_format=fmt)
    context: Callable[[], Any] = (
        (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if amp else contextlib.nullcontext
    )
    times = []
    for i in range(args.warmup + args.runs):
        start = time.perf_counter()
        with context():
            outputs = model(rgb, depth)
            loss = sum((o.float() - depth).abs().mean() for o in outputs)
        loss.backward()
        if i >= args.warmup:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main() -> None:
    """Print one row per memory format (and precision)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="lite_hr")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=192)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = create_model(args.variant)
    rows = [("fp32", torch.contiguous_format, False), ("fp32", torch.channels_last, False)]
    if args.bf16:
        rows += [("bf16", torch.contiguous_format, True), ("bf16", torch.channels_last, True)]
    base = None
    print(f"{args.variant}, batch {args.batch}, {args.crop}x{args.crop}, {args.threads} thread(s)")
    for precision, fmt, amp in rows:
        seconds = _median_step(model, fmt, amp, args)
        base = base or seconds
        name = "channels_last" if fmt == torch.channels_last else "contiguous"
        print(f"{precision} {name:14s} {seconds * 1000:7.0f} ms/step  ({base / seconds:.2f}x)")


if __name__ == "__main__":
    main()
