"""Start-up benchmark: `cnncalc summary specs/vgg16.yaml` (and U-Net's, whose skips and exact up-sampled fields
should cost no more) against bare Python and against importing its libraries.

Runs every command side by side, interleaved, and reports medians and ratios to the import baseline
(`python -c "import click, yaml, rich.console, rich.table"`). Goals: the table within 1.15x of that
baseline, JSON (which needs no rich) within 0.8x. cnncalc leaves with os._exit once its output is flushed
(see `cnncalc.cli.run`); the "no teardown" row shows what that spares the baseline's own run.

    python benchmarks/startup.py [--runs 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = str(ROOT / "specs" / "vgg16.yaml")
UNET = str(ROOT / "specs" / "unet.yaml")


def script() -> str:
    """The installed console script itself (not a pyenv or asdf shim, which adds a shell's start-up)."""
    candidate = Path(sys.executable).parent / "cnncalc"
    if not candidate.exists():
        sys.exit("cnncalc is not installed beside this Python: pip install -e .")
    return str(candidate)


def commands() -> dict[str, list[str]]:
    cnncalc = script()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import baseline": [sys.executable, "-c", "import click, yaml, rich.console, rich.table"],
        # the floor under any JSON run: the two libraries it cannot do without
        "import click, yaml": [sys.executable, "-c", "import click, yaml"],
        # how much of the baseline is Python's exit (collecting and tearing down the modules), which cnncalc skips
        "baseline, no teardown": [
            sys.executable,
            "-c",
            "import os, click, yaml, rich.console, rich.table; os._exit(0)",
        ],
        "summary (table)": [cnncalc, "summary", SPEC],
        "summary --format json": [cnncalc, "summary", SPEC, "--format", "json"],
        "unet summary (table)": [cnncalc, "summary", UNET],
        "unet --format json": [cnncalc, "summary", UNET, "--format", "json"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    runs = commands()
    times: dict[str, list[float]] = {name: [] for name in runs}
    env = {**os.environ, "COLUMNS": "120"}
    # byte-compile the package as a regular pip install does, even where PYTHONDONTWRITEBYTECODE is set
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "cnncalc")], check=True)
    for argv in runs.values():  # warm the file cache once
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=env)
    for _ in range(args.runs):
        for name, argv in runs.items():
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=env)
            times[name].append(time.perf_counter() - start)
    baseline = statistics.median(times["import baseline"])
    print(f"{'command':<24} {'median ms':>10} {'x baseline':>11}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<24} {median * 1000:>10.1f} {median / baseline:>11.2f}")


if __name__ == "__main__":
    main()
