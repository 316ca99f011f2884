"""Checking many specs in one process: `cnncalc check` on 500 spec files against the same on one, side by side.

The 500 are copies of the specs in specs/ (the real networks and the lecture's examples, in turn). Prints the
median times, the extra time the other 499 cost, and the time per spec.

    python benchmarks/check_many.py [--runs 5] [--count 500]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from itertools import cycle
from pathlib import Path

from timing import timed

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    specs = sorted((ROOT / "specs").glob("*.yaml"))
    check = [sys.executable, "-m", "cnncalc", "check", "-q"]
    with tempfile.TemporaryDirectory() as scratch:
        many = Path(scratch) / "many"
        many.mkdir()
        for number, source in zip(range(args.count), cycle(specs)):
            shutil.copy(source, many / f"{number:04d}-{source.name}")
        one = Path(scratch) / "one.yaml"
        shutil.copy(ROOT / "specs" / "resnet50.yaml", one)
        single = timed([*check, str(one)], args.runs)
        batch = timed([*check, str(many)], args.runs)
    extra = batch - single
    print(f"1 spec:       {single:.3f} s")
    print(f"{args.count} specs:   {batch:.3f} s  ({batch / single:.1f}x)")
    print(f"the other {args.count - 1}: {extra:.3f} s more, {extra / (args.count - 1) * 1000:.2f} ms a spec")


if __name__ == "__main__":
    main()
