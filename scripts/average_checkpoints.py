#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
r"""Average the weights of checkpoints of one architecture into a new checkpoint.

Fine-tunes of one network stay near one another in weight space; their uniform average is a
candidate that often keeps most of each one's gain (the first shipped ``lite`` was such an
average; docs/results.md). The architectures must be equal in every field but the variant
name; the output takes the first file's config and name. Floating-point tensors are averaged
(with ``--weights``, a weighted mean); integer buffers must agree and are copied. Metadata is
the first file's, with an ``averaged_from`` list of (path, weight).

    python scripts/average_checkpoints.py models/bridgenet_lite_hr.pt \
        campaign/lite_hr_holes/last.pt --out campaign/lite_hr_holes/average.pt
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

from bridgenet_ros.model import BridgeNet, load_model, save_checkpoint


def _check_same_architecture(first: BridgeNet, other: BridgeNet, where: Path) -> None:
    """ValueError naming the differing config fields when ``other`` is not ``first``'s net."""
    renamed = dataclasses.replace(other.config, variant=first.config.variant)
    if renamed != first.config:
        have, want = dataclasses.asdict(renamed), dataclasses.asdict(first.config)
        diff = {k: (have[k], want[k]) for k in want if have[k] != want[k]}
        raise ValueError(f"{where} is another architecture; (it, first): {diff}")


def _mix(tensors: list[torch.Tensor], weights: list[float], name: str) -> torch.Tensor:
    """Weighted mean of float tensors; integer tensors must be equal and are copied."""
    if tensors[0].is_floating_point():
        mixed = sum(w * t.double() for w, t in zip(weights, tensors))
        return mixed.to(tensors[0].dtype).contiguous()
    if any(not torch.equal(t, tensors[0]) for t in tensors[1:]):
        raise ValueError(f"integer buffer {name!r} differs between the checkpoints")
    return tensors[0].clone()


def average(sources: list[Path], out: Path, weights: list[float] | None = None) -> Path:
    """Write the weighted weight average of ``sources`` to ``out`` (weights default uniform)."""
    if len(sources) < 2:
        raise ValueError("give at least two checkpoints to average")
    weights = weights or [1.0 / len(sources)] * len(sources)
    if len(weights) != len(sources) or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"--weights needs {len(sources)} non-negative numbers, got {weights}")
    weights = [w / sum(weights) for w in weights]
    models = [load_model(path) for path in sources]
    for model, path in zip(models[1:], sources[1:]):
        _check_same_architecture(models[0], model, path)
    states = [m.state_dict() for m in models]
    mixed = {k: _mix([s[k] for s in states], weights, k) for k in states[0]}
    target = BridgeNet.from_config(models[0].config)
    target.load_state_dict(mixed)
    metadata = dict(models[0].metadata)
    metadata["averaged_from"] = [[str(p), w] for p, w in zip(sources, weights)]
    return save_checkpoint(out, target, metadata)


def main(argv: list[str] | None = None) -> int:
    """Command line: average, print the path; exit 2 with the reason on a mismatch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--weights", type=float, nargs="+", help="one per checkpoint")
    args = parser.parse_args(argv)
    try:
        path = average(args.checkpoints, args.out, args.weights)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {path} (average of {len(args.checkpoints)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
