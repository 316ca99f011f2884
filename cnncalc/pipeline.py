"""Spec files in, reports out: the loader and the engine together, with every problem found by either."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, SpecError, error, in_file_order
from .engine import MAX_ROWS, Report, analyse, fitting_depth, row_count
from .loader import STDIN, load, read_source
from .spec import Layer, Spec, Volume

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
    path: str | Traversable,
    input_volume: Volume | None = None,
    depth: int | None = None,
    max_rows: int | None = None,
    writes_rows: str | None = None,
) -> tuple[Spec, Report]:
    """Read and compute a spec file (`-`: standard input), or an example by its name; SpecError lists the problems
    of both steps in file order.

    Where reading fails at some layer, the layers before it are still computed, so that their errors are reported
    in the same run rather than the next. Without a `depth`, `max_rows` folds the blocks nested deepest until the
    report has at most that many rows (the report's `kept_depth` says how deep it kept them). A command that
    writes out every row says what it writes in `writes_rows`: a spec with more than MAX_ROWS of them is refused
    before it is computed.
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
    if depth is None and max_rows is not None:
        depth = fitting_depth(spec.layers, max_rows)
    if writes_rows and (too_many := too_many_rows(spec, writes_rows, depth)):
        raise SpecError([too_many])
    return spec, analyse(spec, depth)


def _largest(spec: Spec) -> tuple[int, Layer]:
    """The spec's own layer that makes the most rows, and its number."""
    rows = [row_count((layer,)) for layer in spec.layers]
    number = rows.index(max(rows))
    return number + 1, spec.layers[number]


def folded_note(spec: Spec, report: Report) -> Diagnostic:
    """What was left out of a report too long to show whole (see `analyse_file`'s `max_rows`), at the spec's
    layer that makes the most rows."""
    number, layer = _largest(spec)
    depth = report.kept_depth
    folded = "every block is folded" if depth == 0 else f"blocks nested deeper than {depth} are folded"
    message = (
        f"{row_count(spec.layers):,} rows in all (most of them here), more than {MAX_ROWS:,}: {folded} into"
        " their rows (--depth N to choose)"
    )
    return Diagnostic("note", "rows", message, layer.loc, str(number), layer.kind)


def too_many_rows(spec: Spec, what: str, depth: int | None = None) -> Diagnostic | None:
    """The error of a command that writes out every row (`what` it makes of each, e.g. "to draw, a box each"),
    where the rows of `spec`, kept to `depth`, are more than MAX_ROWS; at the spec's layer that makes the most."""
    rows = row_count(spec.layers, depth)
    if rows <= MAX_ROWS:
        return None
    number, layer = _largest(spec)
    message = f"{rows:,} rows {what}: more than {MAX_ROWS:,}"
    return error("rows", message, layer.loc, str(number), layer.kind)


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
