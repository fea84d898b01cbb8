# SPDX-License-Identifier: Apache-2.0
r"""``bridgenet train``: train a BridgeNet variant from a YAML config (also under ``torchrun``).

Examples::

    bridgenet train --config config/train_lite.yaml --out runs/lite
    bridgenet train --config config/train_lite.yaml --out runs/lite --resume
    torchrun --standalone --nproc_per_node 4 -m bridgenet_ros.cli.main train \
        --config config/train_paper.yaml --out runs/paper
"""

from __future__ import annotations

import argparse

HELP = "train BridgeNet (L1 on SR + MDE, AdamW, cosine LR, validation, checkpoints, resume)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bridgenet train`` (flags left out keep the YAML value)."""
    parser.add_argument("--config", required=True, help="training YAML (config/train_*.yaml)")
    parser.add_argument("--out", default=None, help="run folder (default runs/<config stem>)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/state.pt")
    parser.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="stop at this step (the LR schedule still spans train.steps)",
    )
    parser.add_argument(
        "--wall-limit-s",
        type=float,
        default=None,
        help="stop (validated, saved, resumable) after this many seconds without changing the "
        "LR schedule; Ctrl-C / SIGTERM stop the same way",
    )
    parser.add_argument("--steps", type=int, default=None, help="override train.steps")
    parser.add_argument("--batch-size", type=int, default=None, help="override batch_size")
    parser.add_argument("--lr", type=float, default=None, help="override the peak LR")
    parser.add_argument("--val-every", type=int, default=None, help="override val_every")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=None, help="override the seed")
    parser.add_argument(
        "--init",
        default=None,
        metavar="CHECKPOINT",
        help="fine-tune: start from this checkpoint's weights (train.init_checkpoint)",
    )
    parser.add_argument(
        "--num-workers", type=int, default=None, help="override num_workers (DataLoader processes)"
    )
    parser.add_argument(
        "--time-budget-s",
        type=float,
        default=None,
        help="train for about this many seconds: the LR schedule is fitted to "
        "the steps that run in it (0 = off; see TrainConfig.time_budget_s)",
    )
    parser.add_argument(
        "--tensorboard",
        action="store_true",
        default=None,
        help="also write a TensorBoard log (needs tensorboard)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    """Load the config, apply the flags, train; print where the checkpoints are."""
    from pathlib import Path

    from bridgenet_ros.train.config import load_train_config
    from bridgenet_ros.train.trainer import train

    overrides = {
        "steps": args.steps,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "val_every": args.val_every,
        "device": args.device,
        "threads": args.threads,
        "seed": args.seed,
        "tensorboard": args.tensorboard,
        "num_workers": args.num_workers,
        "time_budget_s": args.time_budget_s,
        "init_checkpoint": args.init,
    }
    config = load_train_config(args.config, overrides)
    out = Path(args.out) if args.out else Path("runs") / Path(args.config).stem
    result = train(
        config,
        out,
        resume=args.resume,
        max_steps=args.max_steps,
        wall_limit_s=args.wall_limit_s,
        progress=not args.no_progress,
    )
    print(
        f"trained {config.variant} to step {result.step} in {result.elapsed_s:.0f} s; "
        f"best validation {config.val.metric} {result.best_score:.4f} m; "
        f"checkpoints in {out} (best.pt, last.pt, state.pt)"
    )
    return 0
