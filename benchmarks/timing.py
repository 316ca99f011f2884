"""Timing a command line, for the benchmarks beside this file."""

from __future__ import annotations

import statistics
import subprocess
import time


def timed(argv: list[str], runs: int) -> float:
    """The median wall time of `runs` runs of `argv`, its output thrown away."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
