# SPDX-License-Identifier: Apache-2.0
"""Approximate-time pairing of two message streams (RGB and depth).

``message_filters`` comes only with a ROS installation (no PyPI wheel) and needs rclpy, so this
module implements the ApproximateTime policy the node and the offline bench (no ROS) share. It
imports neither rclpy nor any ``*_msgs`` package.

Policy (that of message_filters' Python ``ApproximateTimeSynchronizer``, made deterministic):
each stream keeps at most ``queue_size`` messages by stamp. When a message arrives, the message of
the *other* stream with the nearest stamp within ``slop`` is taken as its partner (ties go to the
older one); the pair is emitted at once (no waiting, so no added latency) and removed, and every
message of either stream older than its side of the pair is discarded as it can no longer be
paired in order. A stamp older than the newest one already seen on the same stream means the
source jumped back in time (a looping bag, a restarted camera): all queues are cleared and the
arrival starts afresh.

To explain silence, an arrival that finds messages queued on the other stream but none within
the slop is counted (:attr:`PairingStats.no_partner`) and the nearest stamp gap it saw is kept
(:attr:`PairingStats.last_gap_ns`): "nearest depth is 102 ms away, slop is 50 ms" is what a
user needs to fix ``sync_slop`` or the clocks.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.stream.stamps import NS_PER_S

__all__ = ["ApproximateTimePairer", "Pair", "PairingStats"]

T = TypeVar("T")


@dataclass(frozen=True)
class Pair(Generic[T]):
    """A matched pair: ``items[i]`` came from stream ``i``, stamped ``stamps_ns[i]``."""

    items: tuple[T, T]
    stamps_ns: tuple[int, int]

    @property
    def delta_ns(self) -> int:
        """Absolute stamp difference of the pair in nanoseconds."""
        return abs(self.stamps_ns[0] - self.stamps_ns[1])


@dataclass
class PairingStats:
    """Counters since creation (never reset by :meth:`ApproximateTimePairer.reset`).

    Attributes:
        received: messages added, per stream.
        paired: pairs emitted.
        evicted: messages discarded unpaired (queue overflow or older than an emitted pair).
        duplicates: messages replaced by a later arrival with the same stamp on the same stream.
        resets: times the stamps jumped backwards and the queues were cleared.
        no_partner: arrivals that found messages queued on the other stream, none within the
            slop (the symptom of stamps further apart than ``sync_slop``).
        last_gap_ns: the nearest other-stream stamp gap of the latest such arrival (``None``
            before the first).
    """

    received: list[int]
    paired: int = 0
    evicted: int = 0
    duplicates: int = 0
    resets: int = 0
    no_partner: int = 0
    last_gap_ns: int | None = None


class ApproximateTimePairer(Generic[T]):
    """Pairs two streams by nearest stamp within a slop (ApproximateTime policy).

    Args:
        queue_size: messages kept per stream while waiting for a partner (>= 1).
        slop_s: largest stamp difference of a pair in seconds (>= 0).
        on_reset: called as ``on_reset(stream, previous_ns, stamp_ns)`` when a stream's stamp
            jumps backwards and the queues are cleared.

    Raises:
        ConfigError: ``queue_size < 1`` or ``slop_s`` negative or not finite.
    """

    def __init__(
        self,
        queue_size: int,
        slop_s: float,
        on_reset: Callable[[int, int, int], None] | None = None,
    ) -> None:
        self._queues: tuple[list[tuple[int, T]], list[tuple[int, T]]] = ([], [])
        self._newest_ns: list[int | None] = [None, None]
        self.stats = PairingStats(received=[0, 0])
        self.on_reset = on_reset
        self.queue_size = 1
        self.slop_ns = 0
        self.configure(queue_size, slop_s)

    def configure(self, queue_size: int, slop_s: float) -> None:
        """Change the queue size and slop; queued messages are kept (trimmed to the new size).

        Raises:
            ConfigError: invalid values (the previous settings stay in force).
        """
        if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 1:
            raise ConfigError(f"sync_queue_size must be an integer >= 1, got {queue_size!r}")
        slop = float(slop_s)
        if not slop >= 0.0 or slop == float("inf"):
            raise ConfigError(f"sync_slop must be a finite number of seconds >= 0, got {slop_s!r}")
        self.queue_size = queue_size
        self.slop_ns = round(slop * NS_PER_S)
        for queue in self._queues:
            self._trim(queue)

    @property
    def slop_s(self) -> float:
        """The slop in seconds."""
        return self.slop_ns / NS_PER_S

    def queued(self, stream: int) -> int:
        """Number of messages of ``stream`` waiting for a partner."""
        return len(self._queues[stream])

    def reset(self) -> None:
        """Drop all queued messages and forget the newest stamps (counters are kept)."""
        for queue in self._queues:
            queue.clear()
        self._newest_ns = [None, None]

    def add(self, stream: int, stamp_ns: int, item: T) -> Pair[T] | None:
        """Add a message and return the pair it completes, if any.

        Args:
            stream: 0 or 1 (the node uses 0 for RGB, 1 for depth).
            stamp_ns: the message's header stamp in nanoseconds.
            item: the message (or anything to hand back in the pair).

        Returns:
            The pair completed by this message, or ``None`` if it is queued.

        Raises:
            ValueError: ``stream`` is not 0 or 1.
        """
        if stream not in (0, 1):
            raise ValueError(f"stream must be 0 or 1, got {stream!r}")
        stamp_ns = int(stamp_ns)
        self.stats.received[stream] += 1
        newest = self._newest_ns[stream]
        if newest is not None and stamp_ns < newest:
            self.stats.resets += 1
            self.reset()
            if self.on_reset is not None:
                self.on_reset(stream, newest, stamp_ns)
        self._newest_ns[stream] = stamp_ns

        other = self._queues[1 - stream]
        partner = self._nearest(other, stamp_ns)
        if partner is None:
            if other:
                self.stats.no_partner += 1
                self.stats.last_gap_ns = min(abs(s - stamp_ns) for s, _ in other)
            self._insert(self._queues[stream], stamp_ns, item)
            return None
        other_stamp, other_item = other[partner]
        # Everything older than the pair's sides can no longer pair in order: discard it.
        self.stats.evicted += partner
        del other[: partner + 1]
        own = self._queues[stream]
        cut = bisect.bisect_left([s for s, _ in own], stamp_ns)
        self.stats.evicted += cut
        del own[:cut]
        self.stats.paired += 1
        if stream == 0:
            return Pair(items=(item, other_item), stamps_ns=(stamp_ns, other_stamp))
        return Pair(items=(other_item, item), stamps_ns=(other_stamp, stamp_ns))

    def _nearest(self, queue: list[tuple[int, T]], stamp_ns: int) -> int | None:
        """Index of the entry nearest ``stamp_ns`` within the slop (older wins ties), or None."""
        best: int | None = None
        best_delta = self.slop_ns + 1
        for index, (stamp, _) in enumerate(queue):
            delta = abs(stamp - stamp_ns)
            if delta < best_delta:
                best, best_delta = index, delta
        return best

    def _insert(self, queue: list[tuple[int, T]], stamp_ns: int, item: T) -> None:
        """Insert in stamp order (replacing an equal stamp) and trim to the queue size."""
        stamps = [s for s, _ in queue]
        index = bisect.bisect_left(stamps, stamp_ns)
        if index < len(queue) and queue[index][0] == stamp_ns:
            queue[index] = (stamp_ns, item)
            self.stats.duplicates += 1
            return
        queue.insert(index, (stamp_ns, item))
        self._trim(queue)

    def _trim(self, queue: list[tuple[int, T]]) -> None:
        """Evict the oldest entries beyond the queue size."""
        excess = len(queue) - self.queue_size
        if excess > 0:
            self.stats.evicted += excess
            del queue[:excess]
