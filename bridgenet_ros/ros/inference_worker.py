# SPDX-License-Identifier: Apache-2.0
"""A dedicated inference thread fed through a single-slot keep-latest buffer.

The pairing callback must never run inference: it calls :meth:`InferenceWorker.submit`, which
puts the newest pair into a one-item slot and returns at once. If the slot still holds a pair the
thread has not started on, that older pair is replaced and counted as dropped: the node always
works on the freshest data and its latency never grows with a queue. No ROS imports here.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Generic, TypeVar

__all__ = ["InferenceWorker", "LatestSlot"]

T = TypeVar("T")

LOGGER = logging.getLogger(__name__)


class LatestSlot(Generic[T]):
    """A thread-safe buffer holding at most one item; a new item replaces the old one.

    Attributes:
        dropped: items replaced before anyone took them.
        put_count: items put.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._has_item = False
        self._closed = False
        self.dropped = 0
        self.put_count = 0

    def put(self, item: T) -> bool:
        """Store ``item``, replacing any waiting item.

        Returns:
            True if a waiting item was replaced (dropped), False otherwise (also when closed,
            in which case ``item`` is discarded).
        """
        with self._cond:
            if self._closed:
                return False
            replaced = self._has_item
            if replaced:
                self.dropped += 1
            self._item = item
            self._has_item = True
            self.put_count += 1
            self._cond.notify()
            return replaced

    def take(self, timeout: float | None = None) -> tuple[bool, T | None]:
        """Wait for an item and remove it.

        Args:
            timeout: seconds to wait; ``None`` waits until an item arrives or the slot closes.

        Returns:
            ``(True, item)``, or ``(False, None)`` on timeout or when the slot is closed.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._has_item or self._closed, timeout):
                return False, None
            if self._closed:
                return False, None
            item = self._item
            self._item = None
            self._has_item = False
            return True, item

    def close(self) -> None:
        """Wake every waiter; later puts are discarded and takes return ``(False, None)``."""
        with self._cond:
            self._closed = True
            self._item = None
            self._has_item = False
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed


class InferenceWorker(Generic[T]):
    """Runs ``process(item)`` for the newest submitted item on one dedicated daemon thread.

    Args:
        process: the work (decode, inference, publish); runs on the worker thread only.
        on_error: called with the exception and the item when ``process`` raises; the thread
            keeps running (one bad frame never stops the node). Defaults to logging it.
        name: the thread name.
    """

    def __init__(
        self,
        process: Callable[[T], None],
        *,
        on_error: Callable[[Exception, T], None] | None = None,
        name: str = "bridgenet_inference",
    ) -> None:
        self._process = process
        self._on_error = on_error
        self._slot: LatestSlot[T] = LatestSlot()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._busy = threading.Event()
        self.processed = 0
        self.failed = 0

    @property
    def dropped(self) -> int:
        """Submitted items replaced by a newer one before the thread took them."""
        return self._slot.dropped

    @property
    def submitted(self) -> int:
        """Items submitted so far."""
        return self._slot.put_count

    @property
    def busy(self) -> bool:
        """Whether ``process`` is running right now."""
        return self._busy.is_set()

    @property
    def alive(self) -> bool:
        """Whether the worker thread is running."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once)."""
        self._thread.start()

    def submit(self, item: T) -> bool:
        """Hand ``item`` to the thread without waiting.

        Returns:
            True if an older waiting item was dropped to make room.
        """
        return self._slot.put(item)

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop accepting items, let the running ``process`` finish and join the thread.

        Args:
            timeout: seconds to wait for the thread.

        Returns:
            True if the thread has ended (or never started).
        """
        self._slot.close()
        if self._thread.ident is None:
            return True
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        """Thread body: take the newest item, process it, repeat until stopped."""
        while True:
            ok, item = self._slot.take()
            if not ok:
                return
            self._busy.set()
            try:
                self._process(item)  # type: ignore[arg-type]
                self.processed += 1
            except Exception as err:  # one bad frame must not end the thread
                self.failed += 1
                if self._on_error is not None:
                    self._on_error(err, item)  # type: ignore[arg-type]
                else:
                    LOGGER.exception("inference failed: %s", err)
            finally:
                self._busy.clear()
