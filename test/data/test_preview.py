# SPDX-License-Identifier: Apache-2.0
"""``bridgenet data preview`` writes a PNG grid; bad sources fail with exit status 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridgenet_ros.cli.main import main

from .helpers import ramp_mm, write_pair


def test_preview_synthetic(tmp_path: Path) -> None:
    out = tmp_path / "p" / "syn.png"
    assert (
        main(
            [
                "data",
                "preview",
                "--data",
                "synthetic",
                "--n",
                "2",
                "--size",
                "48x64",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    image = np.asarray(Image.open(out))
    assert image.ndim == 3 and image.shape[1] > image.shape[0] > 100
    assert image[..., :3].std() > 10  # not blank


def test_preview_folder_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pair(tmp_path / "set", "a", ramp_mm(48, 64))
    out = tmp_path / "f.png"
    assert (
        main(
            [
                "data",
                "preview",
                "--data",
                str(tmp_path / "set"),
                "--scale",
                "2.67",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.stat().st_size > 1000
    assert main(["data", "preview", "--data", str(tmp_path / "nope"), "--out", str(out)]) == 1
    assert "neither 'synthetic'" in capsys.readouterr().err
    assert (
        main(["data", "preview", "--data", "synthetic", "--scale", "0.5", "--out", str(out)]) == 2
    )
    assert main(["data"]) == 2


def test_preview_realscene(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "real.png"
    assert (
        main(
            [
                "data",
                "preview",
                "--data",
                "rgbdd_realscene",
                "--n",
                "1",
                "--data-root",
                str(shared_data),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.is_file()
