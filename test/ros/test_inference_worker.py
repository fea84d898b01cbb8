# SPDX-License-Identifier: Apache-2.0
"""The single-slot keep-latest buffer and the inference thread."""

from __future__ import annotations

import threading
import time

from bridgenet_ros.ros.inference_worker import InferenceWorker, LatestSlot


def test_slot_keeps_latest_and_counts_drops() -> None:
    slot: LatestSlot[int] = LatestSlot()
    assert slot.put(1) is False
    assert slot.put(2) is True
    assert slot.put(3) is True
    assert slot.dropped == 2 and slot.put_count == 3
    assert slot.take(0.1) == (True, 3)
    assert slot.take(0.05) == (False, None)


def test_slot_close_wakes_waiter() -> None:
    slot: LatestSlot[int] = LatestSlot()
    results: list[tuple[bool, int | None]] = []
    waiter = threading.Thread(target=lambda: results.append(slot.take()))
    waiter.start()
    time.sleep(0.05)
    slot.close()
    waiter.join(2)
    assert not waiter.is_alive() and results == [(False, None)]
    assert slot.put(5) is False and slot.take(0) == (False, None)


def test_worker_processes_newest_and_drops_while_busy() -> None:
    started = threading.Event()
    release = threading.Event()
    seen: list[int] = []

    def process(item: int) -> None:
        seen.append(item)
        started.set()
        release.wait(5)

    worker: InferenceWorker[int] = InferenceWorker(process, name="test_worker")
    worker.start()
    worker.submit(0)
    assert started.wait(5) and worker.busy
    for item in range(1, 6):  # the thread is busy: only the newest survives
        worker.submit(item)
    release.set()
    deadline = time.monotonic() + 5
    while worker.processed < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [0, 5]
    assert worker.dropped == 4 and worker.submitted == 6
    assert worker.stop(5) and not worker.alive


def test_worker_survives_errors() -> None:
    errors: list[tuple[str, int]] = []
    done = threading.Event()

    def process(item: int) -> None:
        if item == 1:
            raise RuntimeError("bad frame")
        done.set()

    worker: InferenceWorker[int] = InferenceWorker(
        process, on_error=lambda err, item: errors.append((str(err), item))
    )
    worker.start()
    worker.submit(1)
    deadline = time.monotonic() + 5
    while not errors and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.submit(2)
    assert done.wait(5)
    assert errors == [("bad frame", 1)] and worker.failed == 1 and worker.processed == 1
    assert worker.stop(5)


def test_stop_before_start_and_twice() -> None:
    worker: InferenceWorker[int] = InferenceWorker(lambda item: None)
    assert worker.stop(1)
    worker2: InferenceWorker[int] = InferenceWorker(lambda item: None)
    worker2.start()
    assert worker2.stop(5) and worker2.stop(5)
