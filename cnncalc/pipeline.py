"""A spec file in, a report out: the loader and the engine together, with every problem found by either."""

from __future__ import annotations

from .diagnostics import SpecError, in_file_order
from .engine import Report, analyse
from .loader import load_file
from .spec import Volume


def analyse_file(path: str, input_volume: Volume | None = None, depth: int | None = None) -> Report:
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
    return analyse(spec, depth)
