#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Training-sample throughput of one DataLoader worker for a training config (docs/performance.md).

Usage::

    .venv/bin/python scripts/bench_samples.py [--config config/train_lite_stage2.yaml]
        [--samples 150] [--repeats 3]

Builds the config's training dataset in this process (as one worker does), and times
``dataset[i]`` for ``--samples`` consecutive indices after a short warm-up, ``--repeats`` times
on fresh index ranges; prints the median samples/s and ms/sample. On a GPU the trainer is
limited by this figure × ``num_workers`` whenever it is below the GPU's step rate × batch size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> int:
    """Run the benchmark and print one line per repeat plus the median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/train_lite_stage2.yaml")
    parser.add_argument("--samples", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from dataclasses import replace

    from bridgenet_ros.data.datasets import build_dataset
    from bridgenet_ros.model import create_model
    from bridgenet_ros.train.config import load_train_config

    config = load_train_config(args.config)
    stride = int(getattr(create_model(config.variant), "stride", 16))
    data = config.data if config.data.stride else replace(config.data, stride=stride)
    dataset = build_dataset(data, "train")
    for i in range(5):  # imports, first file reads
        dataset[i]
    rates = []
    for repeat in range(args.repeats):
        dataset.set_epoch(repeat + 1)
        start = time.perf_counter()
        for i in range(args.samples):
            dataset[i]
        seconds = time.perf_counter() - start
        rates.append(args.samples / seconds)
        print(f"repeat {repeat + 1}: {rates[-1]:.1f} samples/s ({1e3 / rates[-1]:.1f} ms/sample)")
    median = statistics.median(rates)
    print(
        f"{args.config}: crop {data.crop_hw}, scales {data.scale_range} "
        f"({data.scale_sampling}), one worker: median {median:.1f} samples/s "
        f"({1e3 / median:.1f} ms/sample)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
