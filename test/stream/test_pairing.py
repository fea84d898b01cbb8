# SPDX-License-Identifier: Apache-2.0
"""Tests of the ApproximateTime pairer shared by the node and the bench."""

from __future__ import annotations

import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.stream.pairing import ApproximateTimePairer

MS = 1_000_000


def test_pairs_offset_streams_with_nearest_partner() -> None:
    pairer: ApproximateTimePairer[str] = ApproximateTimePairer(queue_size=5, slop_s=0.02)
    pairs = []
    for k in range(10):
        t = k * 33 * MS
        for stream, stamp in ((0, t), (1, t + 7 * MS)):
            pair = pairer.add(stream, stamp, f"{stream}@{stamp}")
            if pair is not None:
                pairs.append(pair)
    assert len(pairs) == 10
    for k, pair in enumerate(pairs):
        assert pair.stamps_ns == (k * 33 * MS, k * 33 * MS + 7 * MS)
        assert pair.items == (f"0@{k * 33 * MS}", f"1@{k * 33 * MS + 7 * MS}")
        assert pair.delta_ns == 7 * MS
    assert pairer.stats.paired == 10 and pairer.stats.evicted == 0


def test_slop_excludes_far_partners() -> None:
    pairer: ApproximateTimePairer[int] = ApproximateTimePairer(queue_size=5, slop_s=0.005)
    assert pairer.add(0, 0, 0) is None
    assert pairer.add(1, 6 * MS, 1) is None  # 6 ms > 5 ms slop
    pair = pairer.add(0, 10 * MS, 2)  # 4 ms from the queued depth
    assert pair is not None and pair.items == (2, 1)
    assert pairer.stats.evicted == 1  # the older RGB can no longer pair in order


def test_exact_slop_boundary_is_inclusive() -> None:
    pairer: ApproximateTimePairer[int] = ApproximateTimePairer(queue_size=2, slop_s=0.01)
    pairer.add(0, 0, 0)
    assert pairer.add(1, 10 * MS, 1) is not None


def test_nearest_wins_over_older_and_ties_go_older() -> None:
    pairer: ApproximateTimePairer[int] = ApproximateTimePairer(queue_size=5, slop_s=0.05)
    for stamp in (0, 20, 40):
        pairer.add(1, stamp * MS, stamp)
    pair = pairer.add(0, 22 * MS, -1)
    assert pair is not None and pair.items == (-1, 20)
    assert pairer.queued(1) == 1  # 40 stays, 0 evicted
    pairer2: ApproximateTimePairer[int] = ApproximateTimePairer(queue_size=5, slop_s=0.05)
    pairer2.add(1, 0, 0)
    pairer2.add(1, 20 * MS, 20)
    pair2 = pairer2.add(0, 10 * MS, -1)
    assert pair2 is not None and pair2.items == (-1, 0)


def test_queue_size_evicts_oldest() -> None:
    pairer: ApproximateTimePairer[int] = ApproximateTimePairer(queue_size=3, slop_s=0.001)
    for k in range(5):
        pairer.add(0, k * 100 * MS, k)
    assert pairer.queued(0) == 3 and pairer.stats.evicted == 2
    assert pairer.add(1, 0, 99) is None  # stamp 0 was evicted
    pair = pairer.add(1, 200 * MS, 98)
    assert pair is not None and pair.items == (2, 98)


def test_duplicate_stamp_replaces() -> None:
    pairer: ApproximateTimePairer[str] = ApproximateTimePairer(queue_size=3, slop_s=0.001)
    pairer.add(0, 5, "a")
    pairer.add(0, 5, "b")
    assert pairer.stats.duplicates == 1 and pairer.queued(0) == 1
    pair = pairer.add(1, 5, "d")
    assert pair is not None and pair.items == ("b", "d")


def test_backwards_stamp_resets_and_pairs_afresh() -> None:
    events: list[tuple[int, int, int]] = []
    pairer: ApproximateTimePairer[int] = ApproximateTimePairer(
        queue_size=5, slop_s=0.01, on_reset=lambda *e: events.append(e)
    )
    for k in range(3):
        pairer.add(0, (1000 + k * 33) * MS, k)
        pairer.add(1, (1000 + k * 33) * MS, k)
    pairer.add(1, 1099 * MS, 50)  # queued depth from before the loop
    assert pairer.add(0, 5 * MS, 7) is None  # bag looped back to t = 5 ms
    assert events == [(0, 1066 * MS, 5 * MS)]
    assert pairer.stats.resets == 1
    assert pairer.queued(1) == 0  # the stale depth was discarded
    pair = pairer.add(1, 6 * MS, 8)
    assert pair is not None and pair.items == (7, 8)


@pytest.mark.parametrize(("queue", "slop"), [(0, 0.1), (-1, 0.1), (2, -0.01), (2, float("nan"))])
def test_invalid_settings_raise(queue: int, slop: float) -> None:
    with pytest.raises(ConfigError, match="sync_"):
        ApproximateTimePairer(queue_size=queue, slop_s=slop)


def test_configure_trims_and_keeps_settings_on_error() -> None:
    pairer: ApproximateTimePairer[int] = ApproximateTimePairer(queue_size=4, slop_s=0.01)
    for k in range(4):
        pairer.add(0, k * MS * 100, k)
    pairer.configure(2, 0.02)
    assert pairer.queued(0) == 2 and pairer.slop_s == pytest.approx(0.02)
    with pytest.raises(ConfigError):
        pairer.configure(0, 0.5)
    assert pairer.queue_size == 2 and pairer.slop_s == pytest.approx(0.02)


def test_arrival_without_partner_in_slop_records_the_nearest_gap() -> None:
    pairer: ApproximateTimePairer[str] = ApproximateTimePairer(queue_size=5, slop_s=0.05)
    assert pairer.add(0, 1000 * MS, "rgb") is None
    assert pairer.stats.no_partner == 0  # nothing queued on the other side: not "unpaired"
    assert pairer.add(1, 1102 * MS, "depth") is None
    assert pairer.stats.no_partner == 1 and pairer.stats.last_gap_ns == 102 * MS
    assert pairer.add(0, 1300 * MS, "rgb2") is None  # nearest depth 198 ms away
    assert pairer.stats.no_partner == 2 and pairer.stats.last_gap_ns == 198 * MS
    assert pairer.add(1, 1310 * MS, "depth2") is not None
    assert pairer.stats.no_partner == 2 and pairer.stats.paired == 1


def test_stamp_conversion_round_trip() -> None:
    from types import SimpleNamespace

    from bridgenet_ros.stream.stamps import ns_to_sec_nanosec, stamp_ns, stamp_to_ns

    t = 1_700_000_000_123_456_789
    sec, nanosec = ns_to_sec_nanosec(t)
    assert (sec, nanosec) == (1_700_000_000, 123_456_789)
    assert stamp_to_ns(SimpleNamespace(sec=sec, nanosec=nanosec)) == stamp_ns(sec, nanosec) == t
    assert ns_to_sec_nanosec(-1) == (-1, 999_999_999)
