# SPDX-License-Identifier: Apache-2.0
"""Fake cuda-python package (only ``cuda.bindings.runtime``)."""

from __future__ import annotations
