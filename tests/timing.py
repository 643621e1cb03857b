"""Timing comparisons that hold on a loaded machine: a sign test over
interleaved pairs, never a threshold in milliseconds."""

import random
import time
from collections.abc import Callable


def _duration(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def slower_share(first: Callable[[], object], second: Callable[[], object], *, rounds: int) -> float:
    """The share of `rounds` back-to-back pairs in which `first` took longer than `second`.

    The order within a pair is drawn at random, so warm-up, load and anything
    periodic (garbage collection, a cache's housekeeping every n calls) affect both alike.
    When both cost the same the share is near 0.5, spread about 0.5 / sqrt(rounds);
    a steady difference of a fraction of the noise pushes it towards 0 or 1.
    """
    slower = 0
    order = random.Random(rounds)
    for _ in range(rounds):
        if order.random() < 0.5:
            second_took, first_took = _duration(second), _duration(first)
        else:
            first_took, second_took = _duration(first), _duration(second)
        slower += first_took > second_took
    return slower / rounds
