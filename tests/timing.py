"""Timing comparisons that hold on a loaded machine: a sign test over
interleaved pairs, never a threshold in milliseconds."""

import time
from collections.abc import Callable


def _duration(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def slower_share(first: Callable[[], object], second: Callable[[], object], *, rounds: int) -> float:
    """The share of `rounds` back-to-back pairs in which `first` took longer than `second`.

    The order within a pair alternates, so warm-up and load affect both alike.
    When both cost the same the share is near 0.5, spread about 0.5 / sqrt(rounds);
    a steady difference of a fraction of the noise pushes it towards 0 or 1.
    """
    slower = 0
    for round_number in range(rounds):
        if round_number % 2:
            second_took, first_took = _duration(second), _duration(first)
        else:
            first_took, second_took = _duration(first), _duration(second)
        slower += first_took > second_took
    return slower / rounds
