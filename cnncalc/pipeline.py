"""Spec files in, reports out: the loader and the engine together, with every problem found by either."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .diagnostics import SpecError, error, in_file_order
from .engine import Report, analyse
from .loader import STDIN, load, read_source
from .spec import Spec, Volume

if TYPE_CHECKING:
    from importlib.abc import Traversable

SPEC_SUFFIXES = (".yaml", ".yml")
EXAMPLE_SUFFIX = ".yaml"


def examples() -> dict[str, Traversable]:
    """The example specs that ship in the package (cnncalc/specs), by name in order: `vgg16` for vgg16.yaml."""
    # only where a path does not exist, or for `cnncalc examples`: a spec file given by its path never pays for it
    from importlib.resources import files

    found = [entry for entry in files("cnncalc").joinpath("specs").iterdir() if entry.name.endswith(EXAMPLE_SUFFIX)]
    return {entry.name.removesuffix(EXAMPLE_SUFFIX): entry for entry in sorted(found, key=lambda entry: entry.name)}


def resolve(path: str) -> str | Traversable:
    """What a SPEC argument names: the file or directory where one exists (it always wins), else the example of
    that name (`vgg16` or `vgg16.yaml`), else the path itself, which then fails to read with the reason why."""
    if path == STDIN or os.path.exists(path):
        return path
    example = examples().get(path.removesuffix(EXAMPLE_SUFFIX))
    if example is not None:
        return example
    if not os.path.dirname(path):
        raise SpecError([error("read", "no such file, nor an example of that name (`cnncalc examples` lists them)")])
    return path


def analyse_file(
    path: str | Traversable, input_volume: Volume | None = None, depth: int | None = None
) -> tuple[Spec, Report]:
    """Read and compute a spec file (`-`: standard input), or an example by its name; SpecError lists the problems
    of both steps in file order.

    Where reading fails at some layer, the layers before it are still computed, so that their errors are reported
    in the same run rather than the next.
    """
    try:
        spec = load(read_source(resolve(path) if isinstance(path, str) else path), input_volume)
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
