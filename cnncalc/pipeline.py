"""Spec files in, reports out: the loader and the engine together, with every problem found by either."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, SpecError, error, in_file_order
from .engine import analyse
from .loader import load
from .reading import STDIN, read_source
from .record import Record
from .report import Report
from .rows import MAX_ROWS, fitting_depth, row_count
from .spec import Layer, PerAxis, Spec, Volume

if TYPE_CHECKING:
    from importlib.abc import Traversable

SPEC_SUFFIXES = (".yaml", ".yml")
ONNX_SUFFIX = ".onnx"
EXAMPLE_SUFFIX = ".yaml"


def examples() -> dict[str, Traversable]:
    """The example specs that ship in the package (cnncalc/specs), by name in order: `vgg16` for vgg16.yaml."""
    # only where a path does not exist, or for `cnncalc examples`: a spec file given by its path never pays for it
    from importlib.resources import files

    found = [entry for entry in files("cnncalc").joinpath("specs").iterdir() if entry.name.endswith(EXAMPLE_SUFFIX)]
    return {entry.name.removesuffix(EXAMPLE_SUFFIX): entry for entry in sorted(found, key=lambda entry: entry.name)}


EXAMPLE_PREFIX = "example:"
BUNDLED = "bundled example"


class Source(Record):
    """A spec to read: standard input (`-`), a file, or an example that ships with cnncalc."""

    shown: str  # as messages name it: the path, `<stdin>`, or `vgg16 (bundled example)`
    file: str | Traversable  # what is read: `-`, a path, or the example in the package
    example: str | None = None  # the example's name, where it is one
    text: str | None = None  # what it holds, once read

    @property
    def path(self) -> str | None:
        """The file on disk, where it is one: what no output may be written over."""
        return self.file if isinstance(self.file, str) and self.file != STDIN else None

    def heading(self, name: str | None) -> str:
        """What a report of it is titled: the spec's `name`, else the file's; an example says it is one."""
        if self.example is not None and name:
            return f"{name}, {self.shown}"
        return name or self.shown

    @property
    def is_onnx(self) -> bool:
        """Whether it is an ONNX model, read through `cnncalc import`'s translation (`*.onnx`)."""
        return isinstance(self.file, str) and self.file.lower().endswith(ONNX_SUFFIX)

    def read(self, input_volume: Volume | None = None) -> Source:
        """This source with its text read, once (standard input cannot be read twice); SpecError saying why not.
        An ONNX model is imported, at `input_volume` where given."""
        if self.text is not None:
            return self
        try:
            if self.is_onnx:
                from .onnx_import import import_onnx

                assert isinstance(self.file, str)
                return self._replace(text=import_onnx(self.file, input_volume))
            return self._replace(text=read_source(self.file))
        except SpecError as exc:
            exc.source = self.shown
            raise


def locate(given: str, examples_too: bool = True) -> Source:
    """What a SPEC argument names, first found first: `-`; a file or folder of that name; that name with
    `.yaml` or `.yml` added (`lenet5` for ./lenet5.yaml); `example:NAME`, an example that ships with cnncalc; and,
    where `examples_too` (every command but `check`), an example by its name alone (`vgg16`, `vgg16.yaml`).

    A name that matches nothing is a SpecError saying so (read errors of a path that exists come when it is read).
    """
    try:
        return _locate(given, examples_too)
    except SpecError as exc:
        exc.source = display_name(given)
        raise


def _locate(given: str, examples_too: bool) -> Source:
    if given == STDIN:
        return Source(display_name(STDIN), STDIN)
    if os.path.exists(given):
        return Source(given, given)
    for suffix in SPEC_SUFFIXES:
        if os.path.isfile(given + suffix):
            return Source(given + suffix, given + suffix)
    name = given.removeprefix(EXAMPLE_PREFIX).removesuffix(EXAMPLE_SUFFIX)
    explicit = given.startswith(EXAMPLE_PREFIX)
    if explicit or (examples_too and not os.path.dirname(given)):
        example = examples().get(name)
        if example is not None:
            return Source(f"{name} ({BUNDLED})", example, name)
    if explicit:
        raise SpecError([error("read", f"no example named {name!r} (`cnncalc examples` lists them)")])
    if os.path.dirname(given):
        return Source(given, given)  # fails to read, with the reason why
    if examples_too:
        raise SpecError([error("read", "no such file, nor an example of that name (`cnncalc examples` lists them)")])
    if name in examples():
        raise SpecError([error("read", f"no such file ({name} is an example: check it as {EXAMPLE_PREFIX}{name})")])
    raise SpecError([error("read", "no such file")])


def display_name(given: str) -> str:
    """A SPEC argument as messages name it: `<stdin>` for -."""
    return "<stdin>" if given == STDIN else given


def analyse_file(
    source: Source | str | Traversable,
    input_volume: Volume | None = None,
    depth: int | None = None,
    max_rows: int | None = None,
    writes_rows: str | None = None,
) -> tuple[Spec, Report]:
    """Read and compute a spec (a Source, a SPEC argument, or an example in the package); SpecError lists the
    problems of both steps in file order, and names the spec. See `analyse_text`."""
    if not isinstance(source, Source):
        source = locate(source) if isinstance(source, str) else Source(source.name, source)
    source = source.read(input_volume)
    assert source.text is not None
    try:
        return analyse_text(source.text, input_volume, depth, max_rows, writes_rows)
    except SpecError as exc:
        exc.source = source.shown
        raise


def analyse_text(
    text: str,
    input_volume: Volume | None = None,
    depth: int | None = None,
    max_rows: int | None = None,
    writes_rows: str | None = None,
) -> tuple[Spec, Report]:
    """Load and compute the text of a spec; SpecError lists the problems of both steps in file order.

    Where reading fails at some layer, the layers before it are still computed, so that their errors are reported
    in the same run rather than the next. Without a `depth`, `max_rows` folds the blocks nested deepest until the
    report has at most that many rows (the report's `kept_depth` says how deep it kept them); with a `depth`, a
    report of more than MAX_ROWS rows is refused before it is computed, as it is for a command that
    writes out every row (it says what it writes in `writes_rows`).
    """
    try:
        spec = load(text, input_volume)
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
    elif max_rows is not None and not writes_rows and (too_many := too_many_rows(spec, f"at --depth {depth}", depth)):
        # the depth asked for keeps its rows, up to MAX_ROWS: a million of them cost gigabytes
        fold = "; without --depth, blocks are folded until the rows fit"
        raise SpecError([too_many._replace(message=too_many.message + fold)])
    if writes_rows and (too_many := too_many_rows(spec, writes_rows, depth)):
        raise SpecError([too_many])
    return spec, analyse(spec, depth)


class Sliding(Record):
    """A classifier made for its spec's own input (`crop`), run on a larger one: at every position in one pass."""

    positions: PerAxis
    window: PerAxis  # the receptive field of each position
    step: PerAxis  # the jump between positions
    offset: PerAxis  # where the first window starts: minus the effective padding
    crop: Volume
    macs_one_pass: int
    macs_per_crop: int
    macs_all_crops: int

    @property
    def positions_count(self) -> int:
        count = 1
        for size in self.positions:
            count *= size
        return count


def sliding(source: Source, report: Report) -> Sliding | None:
    """What `report`, computed on a larger input than its spec's, does as a sliding classifier; None where the spec
    makes no classifier (more than one answer on its own input) or the larger input gives one answer too."""
    output = report.totals.output
    if output.elements // output.c <= 1:
        return None
    try:
        _, crop = analyse_file(source, depth=0)  # its totals only
    except SpecError:
        return None
    if not crop.totals.output.is_point or crop.input.rank != report.input.rank:
        return None
    jumps = report.totals.jump
    if not all(isinstance(jump, int) for jump in jumps):  # up-sampled: no classifier slides so
        return None
    last = report.layers[-1]
    count = output.elements // output.c
    return Sliding(
        output.spatial,
        report.totals.receptive_field,
        tuple(jump for jump in jumps if isinstance(jump, int)),
        tuple(-p for p in last.effective_padding),
        crop.input,
        report.totals.macs,
        crop.totals.macs,
        count * crop.totals.macs,
    )


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
    # each block folded shows as the one row of its own
    folded = (
        "every block is folded into its row"
        if depth == 0
        else f"blocks nested deeper than {depth} are folded into their rows"
    )
    rows = row_count(spec.layers)
    message = f"{rows:,} rows in all (most of them here), more than {MAX_ROWS:,}: {folded} (--depth N to choose)"
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


def spec_files(paths: Iterable[str]) -> Iterator[Source | tuple[str, SpecError]]:
    """The specs `paths` name for `check`, each a Source, or the path and why it gives none.

    A folder stands for the `*.yaml` and `*.yml` regular files below it (hidden ones, FIFOs and devices left
    out: reading a FIFO would wait for ever); a folder that cannot be read, or that holds no spec, is an error,
    as is a name that is neither a file nor `example:NAME` (see `locate`).
    """
    for path in paths:
        if path == STDIN or not os.path.isdir(path):
            try:
                yield locate(path, examples_too=False)
            except SpecError as exc:
                yield path, exc
            continue
        found = 0
        unreadable: list[OSError] = []
        for root, folders, files in os.walk(path, onerror=unreadable.append):
            folders[:] = sorted(folder for folder in folders if not folder.startswith("."))
            for name in sorted(files):
                file = os.path.join(root, name)
                if name.endswith(SPEC_SUFFIXES) and not name.startswith(".") and os.path.isfile(file):
                    found += 1
                    yield Source(file, file)
        for problem in unreadable:
            message = f"cannot read this folder: {problem.strerror or problem}"
            yield problem.filename or path, SpecError([error("read", message)])
        if not found and not unreadable:
            yield path, SpecError([error("read", "no spec files (*.yaml, *.yml) in this folder")])
