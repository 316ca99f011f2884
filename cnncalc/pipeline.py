"""Spec files in, reports out: the loader and the engine together, with every problem found by either."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from .diagnostics import SpecError, in_file_order
from .engine import Report, analyse
from .loader import STDIN, load_file
from .spec import Spec, Volume

SPEC_SUFFIXES = (".yaml", ".yml")


def analyse_file(path: str, input_volume: Volume | None = None, depth: int | None = None) -> tuple[Spec, Report]:
    """Read and compute a spec file (`-`: standard input); SpecError lists the problems of both steps in file order.

    Where reading fails at some layer, the layers before it are still computed, so that their errors are reported
    in the same run rather than the next.
    """
    try:
        spec = load_file(path, input_volume)
    except SpecError as failed:
        if failed.partial is None or not failed.partial.layers:
            raise
        try:
            analyse(failed.partial, depth=0)
        except SpecError as more:
            raise SpecError(in_file_order(failed.diagnostics + more.diagnostics)) from None
        raise
    return spec, analyse(spec, depth)


def spec_files(paths: Iterable[str]) -> Iterator[str]:
    """The paths given, a directory standing for the `*.yaml` and `*.yml` files below it (hidden ones left out)."""
    for path in paths:
        if path != STDIN and os.path.isdir(path):
            for root, folders, files in os.walk(path):
                folders[:] = sorted(folder for folder in folders if not folder.startswith("."))
                for name in sorted(files):
                    if name.endswith(SPEC_SUFFIXES) and not name.startswith("."):
                        yield os.path.join(root, name)
        else:
            yield path
