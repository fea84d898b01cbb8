# SPDX-License-Identifier: Apache-2.0
"""Fake pycuda for tests (no ``pycuda.autoinit``: importing it is an error here)."""

from __future__ import annotations
