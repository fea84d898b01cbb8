# SPDX-License-Identifier: Apache-2.0
"""Checkpoint round trip, weights_only safety and error cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bridgenet_ros.errors import CheckpointError
from bridgenet_ros.model import create_model, load_checkpoint, load_model, save_checkpoint
from bridgenet_ros.model.checkpoint import CHECKPOINT_FORMAT


@pytest.mark.parametrize("name", ["test", "dsr_only"])
def test_round_trip_gives_identical_outputs(tmp_path: Path, name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, dsr_trunk_blocks=1).eval()
    # Perturb every weight so a silently re-initialized model would not match.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    meta = {"scales": [4, 8], "metrics": {"rmse": 1.5}, "data": "synthetic", "note": None}
    path = save_checkpoint(tmp_path / "sub" / "m.pt", model, meta)
    loaded = load_model(path)
    assert not loaded.training
    assert loaded.metadata == meta
    assert loaded.config == model.config
    rgb, depth = torch.rand(1, 3, 32, 48), torch.rand(1, 1, 32, 48)
    with torch.no_grad():
        for a, b in zip(model(rgb, depth), loaded(rgb, depth)):
            assert torch.equal(a, b)


def test_file_is_weights_only_loadable(tmp_path: Path) -> None:
    model = create_model("test")
    path = save_checkpoint(tmp_path / "m.pt", model, {"scale": 4})
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"format", "variant", "config", "state_dict", "metadata"}
    assert raw["format"] == CHECKPOINT_FORMAT
    assert raw["variant"] == "test"
    ckpt = load_checkpoint(path)
    assert ckpt["config"]["variant"] == "test"


def test_non_plain_metadata_rejected(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="Path"):
        save_checkpoint(tmp_path / "m.pt", create_model("test"), {"root": tmp_path})
    assert not (tmp_path / "m.pt").exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model(tmp_path / "absent.pt")


def test_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.pt"
    path.write_bytes(b"definitely not a zip archive")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


def test_truncated_file(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "m.pt", create_model("test"), {})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_model(path)


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(CheckpointError, match="format"):
        load_checkpoint(path)


def test_weights_not_matching_config(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "m.pt", create_model("test"), {})
    raw = torch.load(path, weights_only=True)
    raw["config"]["dsr_trunk_blocks"] = 2
    torch.save(raw, path)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_model(path)


def test_invalid_config_in_checkpoint(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "m.pt", create_model("test"), {})
    raw = torch.load(path, weights_only=True)
    raw["config"]["bogus"] = 1
    torch.save(raw, path)
    with pytest.raises(CheckpointError, match="bogus"):
        load_model(path)
