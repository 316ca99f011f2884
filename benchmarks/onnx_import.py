"""Importing an ONNX model: `cnncalc import` of ResNet-50 (a 102 MB file) against onnx.load of the same file alone.

The model is `specs/resnet50.yaml`, written by `cnncalc export`, built and exported by torch.onnx in training mode
(batchnorm kept). Both are timed in-process, interleaved, after one warm-up each; prints the medians, the import's
time beyond onnx's own load, and their ratio. Goal: well under a second beyond the load.

    python benchmarks/onnx_import.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    import onnx
    import onnx_models

    from cnncalc.onnx_import import import_onnx

    with tempfile.TemporaryDirectory() as scratch:
        path = str(onnx_models.from_spec(ROOT / "specs" / "resnet50.yaml", Path(scratch), "resnet50"))
        size = Path(path).stat().st_size
        load, imported = [], []
        for run in range(args.runs + 1):
            start = time.perf_counter()
            onnx.load(path, load_external_data=False)
            middle = time.perf_counter()
            import_onnx(path)
            end = time.perf_counter()
            if run:  # the first of each is a warm-up
                load.append(middle - start)
                imported.append(end - middle)
    load_median, import_median = statistics.median(load), statistics.median(imported)
    print(f"ResNet-50, {size:,} bytes, {args.runs} runs")
    print(f"onnx.load alone:  {load_median * 1000:.0f} ms")
    print(f"cnncalc import:   {import_median * 1000:.0f} ms")
    beyond = (import_median - load_median) * 1000
    print(f"beyond the load:  {beyond:.0f} ms (the import {import_median / load_median:.2f}x the load)")


if __name__ == "__main__":
    main()
