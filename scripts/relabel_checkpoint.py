#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
r"""Save a trained checkpoint under the named variant its architecture equals, for shipping.

A campaign run trains variant X with ``train.model`` overrides (stage 2: ``lite`` + gate +
refinement head + dead band); when those overrides make exactly another variant's
architecture (``lite_hr``), the shipped file should say so, so users load it by that name.
Refuses when the architectures differ in any field but the name. Weights are saved contiguous
(training keeps them channels-last) with the run's metadata and a ``relabelled_from`` note.

    python scripts/relabel_checkpoint.py campaign/lite_hr/best.pt --variant lite_hr \
        --out models/bridgenet_lite_hr.pt
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from bridgenet_ros.model import VARIANTS, load_model, save_checkpoint


def relabel(source: Path, variant: str, out: Path) -> Path:
    """Write ``source``'s weights to ``out`` as ``variant``; ValueError if they differ."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {sorted(VARIANTS)}")
    model = load_model(source)
    renamed = dataclasses.replace(model.config, variant=variant)
    if renamed != VARIANTS[variant]:
        wanted, have = dataclasses.asdict(VARIANTS[variant]), dataclasses.asdict(renamed)
        diff = {k: (have[k], wanted[k]) for k in wanted if have[k] != wanted[k]}
        raise ValueError(f"{source} is not a {variant!r} model; (have, want): {diff}")
    target = type(model).from_config(renamed)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    target.load_state_dict(state)
    metadata = dict(model.metadata)
    metadata["relabelled_from"] = {"path": str(source), "variant": model.config.variant}
    return save_checkpoint(out, target, metadata)


def main(argv: list[str] | None = None) -> int:
    """Command line: relabel, print the path; exit 2 with the reason on a mismatch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--variant", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        path = relabel(args.checkpoint, args.variant, args.out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {path} (variant {args.variant})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
