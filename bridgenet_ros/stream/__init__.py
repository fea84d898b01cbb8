# SPDX-License-Identifier: Apache-2.0
"""ROS-free stream layer shared by the node and the bench (registration of unaligned depth)."""

from __future__ import annotations

__all__: list[str] = []
