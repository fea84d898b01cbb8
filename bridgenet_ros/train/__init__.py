# SPDX-License-Identifier: Apache-2.0
"""train subpackage of bridgenet_ros."""

from __future__ import annotations

__all__: list[str] = []
