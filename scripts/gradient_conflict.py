#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
r"""Measure how hard the MDE loss pulls on the depth super-resolution branch (issue 12).

BridgeNet's CGBdg feeds DSR decoder features into the MDE decoder, so the MDE loss's gradient
reaches DSR weights through it (and HABdg sends the SR loss's gradient into the MDE encoder).
On training batches of a config's data mix this prints, per parameter group, the norm of the
mean gradient of the SR term and of the weighted MDE term (``mde_weight × L1``, as trained), and
the cosine between the two mean gradients (negative: the MDE term pushes the DSR weights against
what the SR term wants). Gradients are taken in training mode at the checkpoint's weights; the
checkpoint is not changed.

    python scripts/gradient_conflict.py --model models/bridgenet_lite_hr.pt \
        --config config/train_campaign_lite_hr.yaml --batches 16
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections import defaultdict
from collections.abc import Iterable

import torch
from torch.utils.data import DataLoader

from bridgenet_ros.data.datasets import build_dataset
from bridgenet_ros.model import load_model
from bridgenet_ros.train.config import load_train_config
from bridgenet_ros.train.losses import masked_l1


def group_of(name: str) -> str:
    """Parameter group: the first two name parts (``dsr.refine``, ``cgbdg.0``...)."""
    return ".".join(name.split(".")[:2])


def mean_gradients(
    model: torch.nn.Module,
    loader: Iterable[dict[str, torch.Tensor]],
    batches: int,
    mde_weight: float,
) -> dict[str, dict[str, torch.Tensor]]:
    """Per-parameter mean gradient of the SR term and of the weighted MDE term over batches."""
    params = dict(model.named_parameters())
    sums: dict[str, dict[str, torch.Tensor]] = {"sr": {}, "mde": {}}
    model.train()
    for index, batch in enumerate(loader):
        if index == batches:
            break
        outputs = model(batch["rgb"], batch["depth_lr_up_norm"])
        target, mask = batch["depth_hr_norm"], batch["mask_valid"]
        terms = {
            "sr": masked_l1(outputs[0], target, mask),
            "mde": mde_weight * masked_l1(outputs[1], target, mask),
        }
        for key, loss in terms.items():
            grads = torch.autograd.grad(
                loss, list(params.values()), retain_graph=True, allow_unused=True
            )
            for (name, param), grad in zip(params.items(), grads):
                grad = torch.zeros_like(param) if grad is None else grad
                sums[key][name] = sums[key].get(name, torch.zeros_like(param)) + grad / batches
    return sums


def group_table(sums: dict[str, dict[str, torch.Tensor]]) -> list[str]:
    """Rows: group, |mean grad SR|, |mean grad MDE|, cosine between them."""
    flat: dict[str, dict[str, list[torch.Tensor]]] = defaultdict(lambda: {"sr": [], "mde": []})
    for key in ("sr", "mde"):
        for name, grad in sums[key].items():
            flat[group_of(name)][key].append(grad.flatten())
    lines = [f"{'group':<22}{'|g_sr|':>12}{'|g_mde|':>12}{'cos':>8}"]
    for group, parts in sorted(flat.items()):
        sr, mde = torch.cat(parts["sr"]), torch.cat(parts["mde"])
        denom = float(sr.norm() * mde.norm())
        cosine = float(sr @ mde) / denom if denom > 0 else float("nan")
        lines.append(
            f"{group:<22}{float(sr.norm()):>12.3e}{float(mde.norm()):>12.3e}{cosine:>8.3f}"
        )
    return lines


def main() -> None:
    """Print the per-group table for a checkpoint on a config's training data."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--config", required=True, help="training YAML whose data mix to use")
    parser.add_argument("--batches", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = load_train_config(args.config)
    data = dataclasses.replace(
        config.data, data_root=os.environ.get("BRIDGENET_DATA_ROOT", config.data.data_root)
    )
    torch.manual_seed(args.seed)
    loader = DataLoader(build_dataset(data), batch_size=args.batch_size, shuffle=True)
    model = load_model(args.model)
    if not model.has_mde:
        raise SystemExit(f"{args.model} has no MDE branch: nothing to compare")
    sums = mean_gradients(model, loader, args.batches, config.mde_weight)
    print("\n".join(group_table(sums)))


if __name__ == "__main__":
    main()
