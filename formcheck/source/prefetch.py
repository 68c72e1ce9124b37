"""Run an iterator on a thread of its own, a few items ahead of the loop that consumes it.

The offline analysis decodes a frame, then runs the model on it, then decodes the next: one core
works while the other waits. Decoding with PyAV (and converting to RGB) releases the GIL, so on a
second thread it overlaps with the model and costs the analysis almost no time. The queue between
the two is bounded, so at most ``depth`` frames wait in memory (about 1 MB each at 640x480).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

# Eight decoded frames are enough to ride out a slow keyframe or a burst of model work.
DEFAULT_DEPTH = 8
# How often a blocked producer looks up to see whether the consumer has gone away.
_POLL_S = 0.1


class _End:
    """The producer is done; ``error`` is what it raised, if anything."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class _Producer(Generic[T]):
    def __init__(self, items: Iterable[T], depth: int) -> None:
        self._items = items
        self.queue: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="formcheck-prefetch", daemon=True)

    def _run(self) -> None:
        iterator = iter(self._items)
        error: BaseException | None = None
        try:
            for item in iterator:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it in order
            error = exc
        finally:
            # Close a generator here, on the thread that ran it (its ``with`` blocks close files).
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        self._put(_End(error))

    def _put(self, item: T | _End) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False


def prefetch(items: Iterable[T], depth: int = DEFAULT_DEPTH) -> Iterator[T]:
    """Yield ``items`` in order while a thread fetches up to ``depth`` of them ahead.

    An exception the iterator raises reaches the consumer after the items yielded before it, as
    it would without the thread. When the consumer stops early (``break``, an error, Ctrl-C),
    the thread stops too and the source iterator is closed.

    Raises:
        ValueError: ``depth`` is below 1.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    producer = _Producer(items, depth)
    producer.thread.start()
    try:
        while True:
            item = producer.queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        producer.stop.set()
        producer.thread.join()
