"""Depth benchmark: what deep networks cost, row by row and folded.

Times, side by side in one run, `cnncalc summary` on generated specs: a `repeat` of 1,000, 10,000 and
100,000 two-layer blocks with every row computed and listed (`--depth 1 --format csv`), which should cost
time linear in the layer instances; the same folded (`--depth 0`), where a repeat whose repetitions settle is
computed in one step, so the work should not grow at all; the same three levels deep, folded; and the full
table of a 1,000-layer network against the table of VGG16. Prints each time and its ratio to the smallest
case of its family, with the start-up (a one-layer spec) taken off; below a millisecond of work the ratio is
noise, and shown as "-".

    python benchmarks/depth.py [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from timing import timed

ROOT = Path(__file__).resolve().parent.parent
BODY = "[{conv: {filters: 16, kernel: 3, padding: same}}, relu]"


def flat(times: int) -> str:
    return f"input: [32, 32, 16]\nlayers:\n  - repeat: {{times: {times}, layers: {BODY}}}\n"


def nested(times: int) -> str:
    """Three repeats inside each other, `times` instances of the body in all."""
    side = round(times ** (1 / 3))
    inner = f"{{repeat: {{times: {side}, layers: {BODY}}}}}"
    middle = f"{{repeat: {{times: {side}, layers: [{inner}]}}}}"
    return f"input: [32, 32, 16]\nlayers:\n  - repeat: {{times: {side}, layers: [{middle}]}}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cnncalc = [sys.executable, "-m", "cnncalc", "summary"]
    with tempfile.TemporaryDirectory() as scratch:
        cases: list[tuple[str, str, list[str]]] = []
        for family, make, sizes, options in (
            ("every row", flat, (1_000, 10_000, 100_000), ["--depth", "1", "--format", "csv"]),
            ("folded", flat, (1_000, 10_000, 100_000), ["--depth", "0", "--format", "json"]),
            ("nested x3", nested, (1_000, 8_000, 64_000), ["--depth", "0", "--format", "json"]),
        ):
            for size in sizes:
                path = Path(scratch) / f"{make.__name__}-{size}.yaml"
                path.write_text(make(size))
                cases.append((family, f"{size:,} blocks", [*cnncalc, str(path), *options]))
        deep = Path(scratch) / "deep.yaml"
        deep.write_text(flat(500))  # 500 blocks of 2 layers: 1,000 rows
        cases.append(("table", "VGG16 (29 rows)", [*cnncalc, str(ROOT / "specs" / "vgg16.yaml")]))
        cases.append(("table", "1,000 rows", [*cnncalc, str(deep)]))
        tiny = Path(scratch) / "tiny.yaml"
        tiny.write_text("input: [32, 32, 16]\nlayers: [relu]\n")
        startup = timed([*cnncalc, str(tiny), "--format", "json"], args.runs)
        print(f"start-up (a one-layer spec): {startup:.3f} s")
        first: dict[str, float] = {}
        print(f"{'family':<10} {'case':<18} {'median s':>9} {'work s':>8} {'work ratio':>11}")
        for family, name, argv in cases:
            seconds = timed(argv, args.runs)
            work = max(seconds - startup, 0.0)
            first.setdefault(family, work)
            ratio = f"{work / first[family]:.1f}" if first[family] >= 0.001 else "-"
            print(f"{family:<10} {name:<18} {seconds:>9.3f} {work:>8.3f} {ratio:>11}")


if __name__ == "__main__":
    main()
