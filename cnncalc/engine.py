"""The computation: volumes, parameters, MACs and receptive fields, layer by layer.

Pure functions over the records of `spec`; no I/O, no click, no rich, no yaml. Every size is an exact integer,
computed per axis (height, then width). The formulas are in `formulas` and `fields`, each leaf kind's rule in
`steps`, the records this returns in `report`, and the folding of repeats in `folding`; here, the one pass
over the tree that applies them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import graph
from .diagnostics import Diagnostic, SpecError, error, in_file_order, warning
from .fields import MAX_FIELD, Field, Fields, PeriodError, Taps, Window, hull, merge, union, with_whole
from .folding import Repetition, Run, State, grows_evenly
from .formulas import ShapeError
from .kinds import ByKind, is_block
from .record import Record
from .report import LayerResult, Report, Totals
from .spec import (
    AXIS_LETTERS,
    AXIS_NAMES,
    Crop,
    Layer,
    Location,
    Merge,
    Repeat,
    Residual,
    Sides,
    Spec,
    Volume,
    every_axis,
)
from .steps import STEPS, Step
from .words import counted

if TYPE_CHECKING:
    from .steps import Problem

# past this a volume is no tensor anything could hold (a framework's end at 2**63): channels doubled by a concat in
# every repetition get there, and would go on to numbers too long to print
MAX_ELEMENTS = 2**256


class _Stop(Exception):
    """A layer whose output cannot be known: nothing after it can be computed."""


def analyse(spec: Spec, depth: int | None = None) -> Report:
    """Compute every layer of `spec`; raise SpecError listing all errors found.

    `depth` keeps the rows of blocks nested at most that deep (0: the spec's own layers only); deeper rows
    are computed and counted in their block's totals, but not kept.
    """
    skips = graph.check(spec)
    if any(diagnostic.severity == "error" for diagnostic in skips):
        raise SpecError(in_file_order([d for d in skips if d.severity == "error"]))
    analysis = _Analysis(spec.input, depth)
    start = State(spec.input, (Field(),) * spec.input.rank, None, (None,) * spec.input.rank)
    analysis.scopes.append({graph.INPUT: start})
    try:
        run = analysis.sequence(spec.layers, start, "", 0)
    except _Stop:
        raise SpecError(analysis.found("error")) from None
    if analysis.errors:
        raise SpecError(analysis.found("error"))
    shown = _shown(run.state)
    totals = Totals(
        trainable_params=run.trainable,
        non_trainable_params=run.non_trainable,
        macs=run.macs,
        output=run.state.volume,
        receptive_field=tuple(field.r for field in shown),
        jump=tuple(field.j for field in shown),
        activation_elements=analysis.elements,
    )
    warnings = in_file_order([*spec.warnings, *analysis.found("warning"), *skips])
    return Report(spec.name, spec.input, run.results, totals, tuple(warnings), depth)


class _Analysis:
    """One pass over a spec's tree of layers, collecting errors and warnings as it goes."""

    def __init__(self, input_volume: Volume, keep_depth: int | None) -> None:
        self.input = input_volume
        self.keep_depth = keep_depth
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        # a problem of a repeated layer is one report, however many repetitions have it: (where, what) -> count
        self.seen: dict[tuple[str, str, Location | None, str], int] = {}
        self.said: dict[Diagnostic, tuple[str, str, Location | None, str]] = {}
        # every problem reported, in order, while a folded repeat watches for its repetitions to settle
        self.log: list[tuple[tuple[str, str, Location | None, str], int]] = []
        self.watching = 0
        self.peak = 0  # the largest field size, jump or padding reached so far (see Repetition)
        self.elements = input_volume.elements
        # the outputs each list in progress can read by name (`from`, `with`), innermost last
        self.scopes: list[dict[str, State]] = []

    def found(self, severity: str) -> list[Diagnostic]:
        """The errors or warnings in file order, each once, saying in how many repetitions it came up."""
        found = []
        for diagnostic in self.errors if severity == "error" else self.warnings:
            key = self.said[diagnostic]
            if self.seen[key] > 1:  # said once for all: the repetition it was first seen in is no news
                diagnostic = diagnostic._replace(message=f"{key[3]} (in {self.seen[key]:,} repetitions)")
            found.append(diagnostic)
        return in_file_order(found)

    def sequence(
        self, layers: Sequence[Layer], state: State, prefix: str, depth: int, first: int = 1, note: str = ""
    ) -> Run:
        """Apply `layers` in order from `state`, their rows numbered from `first` under the path `prefix`."""
        keep = self.keep_depth is None or depth <= self.keep_depth
        results = []
        trainable = non_trainable = macs = 0
        scope = dict(self.scopes[-1])  # the names seen so far, and those of the lists around this one
        self.scopes.append(scope)
        try:
            for number, layer in enumerate(layers, start=first):
                path = f"{prefix}{number}"
                if layer.source is not None:
                    state = scope[layer.source]
                if is_block(layer):
                    result, state = self.block(layer, state, number, path, depth, note)
                else:
                    result, state = self.leaf(layer, state, number, path, depth, note)
                if layer.name is not None:
                    scope[layer.name] = state
                trainable += result.trainable_params
                non_trainable += result.non_trainable_params
                macs += result.macs
                if keep:
                    results.append(result)
        finally:
            self.scopes.pop()
        return Run(tuple(results), state, trainable, non_trainable, macs)

    def reporter(self, layer: Layer, path: str, note: str) -> Problem:
        """Report problems with one layer, located at the option at fault where there is one."""

        def problem(code: str, message: str, severity: str = "error", option: str | None = None) -> None:
            loc = layer.option_locs.get(option, layer.loc) if option else layer.loc
            key = (severity, code, loc, message)
            self.seen[key] = self.seen.get(key, 0) + 1
            if self.watching:
                self.log.append((key, 1))
            if self.seen[key] == 1:
                found = (error if severity == "error" else warning)(code, note + message, loc, path, layer.kind)
                (self.errors if severity == "error" else self.warnings).append(found)
                self.said[found] = key

        return problem

    def result(
        self,
        number: int,
        path: str,
        depth: int,
        layer: Layer,
        before: State,
        after: State,
        costs: tuple[int, int, int],
        padding: Sides | None = None,
        met: _Met | None = None,
    ) -> LayerResult:
        """A row: a leaf's (its `padding`) or a block's (its rows, `met`), with its trainable and non-trainable
        parameters and its MACs (`costs`), and the field of its output. Built field by field, in LayerResult's
        order: a row is made for every layer instance computed."""
        shown = _shown(after)
        spans = tuple(field.r for field in shown)
        folded = met is not None and self.keep_depth is not None and depth + 1 > self.keep_depth
        return LayerResult(
            number,
            path,
            depth,
            layer,
            after.volume,
            *costs,
            spans,
            tuple(field.j for field in shown),
            tuple(field.p for field in shown),
            padding,
            tuple(r >= size for r, size in zip(spans, self.input.spatial, strict=True)),
            *((met.layers, met.shortcut, met.branches) if met is not None else ((), (), ())),
            folded,
            before.volume,
            _shown(before),
            shown,
            None if not any(after.whole) else after.fields,
            after.whole,
        )

    def leaf(
        self, layer: Layer, state: State, number: int, path: str, depth: int, note: str
    ) -> tuple[LayerResult, State]:
        problem = self.reporter(layer, path, note)
        volume, fields, flattened, whole = state
        try:
            step = STEPS.of(layer)(self.sized(layer, problem), volume, problem)
        except ShapeError as exc:
            problem("shape", str(exc), option=exc.option)
            raise _Stop from None
        try:
            if step.statistics:
                # the whole map's, as one position of it sees them: after a flatten, of every position it folded
                seen = flattened or _whole(fields, volume)
                whole = tuple(hull(window, field.at(0)) for window, field in zip(whole, seen, strict=True))
            fields, flattened = _seen_through(step, volume, fields, flattened)
        except PeriodError as exc:
            problem("period", str(exc))
            raise _Stop from None
        peak = max(field.peak for field in fields)
        if peak > MAX_FIELD:
            # strides that go on multiplying on a 1 x 1 map: the numbers mean nothing, and grow without end
            problem(
                "field", f"the receptive field or its jump passes {MAX_FIELD:,} input pixels: nothing can see that far"
            )
            raise _Stop
        self.peak = max(self.peak, peak)
        out = step.output
        self.counted(out, problem)
        after = State(out, fields, flattened, whole)
        costs = (step.trainable, step.non_trainable, step.macs)
        return self.result(number, path, depth, layer, state, after, costs, step.padding), after

    def block(
        self, layer: Layer, state: State, number: int, path: str, depth: int, note: str
    ) -> tuple[LayerResult, State]:
        problem = self.reporter(layer, path, note)
        met = MEETINGS.of(layer)(self, layer, state, path, depth, note, problem)
        costs = (
            sum(run.trainable for run in met.runs),
            sum(run.non_trainable for run in met.runs),
            sum(run.macs for run in met.runs),
        )
        return self.result(number, path, depth, layer, state, met.state, costs, met=met), met.state

    def repeat(self, layer: Repeat, state: State, path: str, depth: int, note: str) -> Run:
        """Apply a repeat's layers `times` times in a row; folded (rows not kept), the repetitions that will do as the
        ones just before them did are added up in one step."""
        # a body that reads names from outside it sees the same outputs in every repetition, not moved with its own:
        # no repetition is then like the one before, and each is computed
        folded = self.keep_depth is not None and depth + 1 > self.keep_depth and not graph.reads_outside(layer.layers)
        # a map that grows in every repetition never repeats itself, but a body that grows evenly sums up all the same
        even = folded and grows_evenly(layer.layers)
        results: list[LayerResult] = []
        trainable = non_trainable = macs = 0
        done: list[Repetition] = []  # the last repetitions computed, in a row
        self.watching += folded
        repetition = 0
        while repetition < layer.times:
            first = repetition * len(layer.layers) + 1
            where = f"repetition {repetition + 1} of {layer.times}: " if layer.times > 1 else ""
            logged, elements, peak = len(self.log), self.elements, self.peak
            self.peak = 0
            # folded, a repetition's rows are not kept: it starts from no statistics, so that what its own bring
            # is known, and then meets those before it
            start = state._replace(whole=(None,) * len(state.whole)) if folded else state
            run = self.sequence(layer.layers, start, f"{path}.", depth + 1, first, note + where)
            own = run.state.whole
            if folded:
                met = tuple(hull(window, mine) for window, mine in zip(state.whole, own, strict=True))
                run = run._replace(state=run.state._replace(whole=met))
            this_peak, self.peak = self.peak, max(peak, self.peak)
            results.extend(run.results)
            trainable += run.trainable
            non_trainable += run.non_trainable
            macs += run.macs
            repetition += 1
            if not folded:
                state = run.state
                continue
            this = Repetition.of(state, run, self.log[logged:], self.elements - elements, this_peak, own)
            left = layer.times - repetition
            if this.steady_after(done[-1] if done else None):
                ahead = this.steady(left, done[-1])
            else:
                ahead = this.widening(done, left) if even else None
            if ahead is None:
                done = [*done[-2:], this]
                state = run.state
                continue
            self.elements += ahead.elements
            for key, count in this.seen.items():
                self.seen[key] += count * left
                self.log.append((key, count * left))  # for a repeat around this one
            self.peak = max(self.peak, ahead.peak)
            trainable += ahead.costs[0]
            non_trainable += ahead.costs[1]
            macs += ahead.costs[2]
            state = ahead.state
            break
        self.watching -= folded
        if not self.watching:
            self.log.clear()
        return Run(tuple(results), state, trainable, non_trainable, macs)

    def sized(self, layer: Layer, problem: Problem) -> Layer:
        """A crop whose size is `like` an earlier output's: with that size."""
        if not isinstance(layer, Crop) or layer.like is None:
            return layer
        if layer.size is not None or layer.sides is not None:
            raise ShapeError("crop takes `like` or `size` (or `sides`), one of them", "like")
        found = self.scopes[-1][layer.like].volume
        return layer._replace(like=None, size=found.spatial)

    def counted(self, volume: Volume, problem: Problem) -> None:
        """Count a new tensor's elements; past MAX_ELEMENTS, a located error, and nothing after it is computed."""
        elements = volume.elements
        if elements > MAX_ELEMENTS:
            problem("size", f"its output of {volume} passes 2**256 elements: no tensor holds that")
            raise _Stop
        self.elements += elements

    def meet(
        self,
        runs: Sequence[Run],
        names: Sequence[str],
        volume: Volume,
        problem: Problem,
        gates: Sequence[tuple[bool, ...]] | None = None,
    ) -> State:
        """Paths meeting in a new tensor (an add, a concat): its field, and a warning where they do not line up.

        `gates` marks, per path and axis, an operand broadcast along it (its one position read by every output, as
        a squeeze-and-excitation gate is): its window is set aside from the local field and brought to every
        output with the whole map's statistics; gates need not line up.
        """
        whole: list[Window | None] = [None] * volume.rank
        for run in runs:
            whole = [hull(whole[axis], window) for axis, window in enumerate(run.state.whole)]
        try:
            if gates is None:
                fields, mismatches = merge([run.state.fields for run in runs], names)
            else:
                mismatches = []
                united = []
                for axis in range(volume.rank):
                    for run, gated in zip(runs, gates, strict=True):
                        if gated[axis]:
                            whole[axis] = hull(whole[axis], run.state.fields[axis].at(0))
                    kept = [run.state.fields[axis] for run, gated in zip(runs, gates, strict=True) if not gated[axis]]
                    united.append(union(kept))
                fields = tuple(united)
        except PeriodError as exc:
            problem("period", str(exc))
            raise _Stop from None
        # a 1 x 1 map has a single output: there is nothing to line up
        if mismatches and not volume.is_point:
            problem(
                "rf-misaligned",
                f"the receptive fields where the paths meet do not line up ({'; '.join(mismatches)}); "
                "the field shown is their union",
                "warning",
            )
        self.counted(volume, problem)
        # a flatten still waiting for a layer to mix its positions, on any path, waits on
        flattened = next((run.state.flattened for run in runs if run.state.flattened), None)
        return State(volume, fields, flattened, tuple(whole))


def _seen_through(step: Step, volume: Volume, fields: Fields, flattened: Fields | None) -> tuple[Fields, Fields | None]:
    """The fields after a leaf layer, and those a layer mixing the channels will have after a flatten."""
    if step.flattens:
        flattened = flattened or _whole(fields, volume)
    elif step.reads_flattened and flattened:
        # a layer mixing channels after a flatten sees every position the flatten folded together
        fields, flattened = flattened, None
    if step.whole_map:
        fields = _whole(fields, volume)
    if step.windows:
        fields = tuple(field.through(taps) for field, taps in zip(fields, step.windows, strict=True))
    return fields, flattened


def _whole(fields: Fields, volume: Volume) -> Fields:
    """Per axis, the field of one output that sees every position of the map."""
    return tuple(field.whole(size) for field, size in zip(fields, volume.spatial, strict=True))


def _shown(state: State) -> Fields:
    """The fields a row reports: each output's own window, with what the statistics of a whole map bring to it."""
    if not any(state.whole):
        return state.fields
    return tuple(with_whole(field, window) for field, window in zip(state.fields, state.whole, strict=True))


class _Met(Record):
    """A block applied: the runs of the lists it holds, where their paths meet, and each list's rows."""

    runs: tuple[Run, ...]
    state: State
    layers: tuple[LayerResult, ...] = ()
    shortcut: tuple[LayerResult, ...] = ()
    branches: tuple[tuple[LayerResult, ...], ...] = ()


# each block kind's rule: how its lists are applied, and how their paths meet
MEETINGS = ByKind("engine.MEETINGS", covers="blocks")


@MEETINGS.register("repeat")
def _repeated(
    analysis: _Analysis, layer: Repeat, state: State, path: str, depth: int, note: str, problem: Problem
) -> _Met:
    run = analysis.repeat(layer, state, path, depth, note)
    return _Met((run,), run.state, layers=run.results)


@MEETINGS.register("residual")
def _added(
    analysis: _Analysis, layer: Residual, state: State, path: str, depth: int, note: str, problem: Problem
) -> _Met:
    main = analysis.sequence(layer.layers, state, f"{path}.", depth + 1, note=note)
    short = analysis.sequence(layer.shortcut, state, f"{path}.s", depth + 1, note=note)
    if main.state.volume != short.state.volume:
        identity = " (identity)" if not layer.shortcut else ""
        problem(
            "residual-shape",
            f"cannot add: the layers give {main.state.volume}, the shortcut{identity} gives {short.state.volume}",
        )
    met = analysis.meet((main, short), ("layers", "shortcut"), main.state.volume, problem)
    return _Met((main, short), met, layers=main.results, shortcut=short.results)


@MEETINGS.register("add", "concat", "multiply")
def _merged(
    analysis: _Analysis, layer: Merge, state: State, path: str, depth: int, note: str, problem: Problem
) -> _Met:
    """Tensors joined: the outputs of branches applied to the same input, or (`with`) the current tensor and
    earlier outputs by name."""
    if layer.merged and layer.branches:
        problem("merge-form", f"{layer.kind} takes `branches` or `with`, not both", option="with")
        raise _Stop
    if not layer.merged and not layer.branches:
        problem("merge-form", f"{layer.kind} needs `branches` (lists of layers) or `with` (earlier layers' names)")
        raise _Stop
    if layer.branches:
        if layer.crop is not None:
            problem("merge-form", "`crop` goes with `with`: branches are cut by their own layers", option="crop")
        runs = tuple(
            analysis.sequence(branch, given, f"{path}.b{k}.", depth + 1, note=note)
            for k, (branch, given) in enumerate(zip(layer.branches, _split(layer, state, problem), strict=True), 1)
        )
        labels = [f"branch {k}" for k in range(1, len(runs) + 1)]
    else:
        named = [analysis.scopes[-1][name] for name in layer.merged]
        if layer.crop == "centre":
            named = [_centred(one, state.volume, name, problem) for one, name in zip(named, layer.merged, strict=True)]
        runs = tuple(Run((), one, 0, 0, 0) for one in (state, *named))
        labels = ["the current tensor", *(repr(name) for name in layer.merged)]
    volumes = [run.state.volume for run in runs]
    volume, broadcast = _joined(layer, volumes, labels, problem)
    # an operand of size 1 along an axis the output is longer on: every output reads its one position there
    gates = [tuple(map(int.__lt__, v.spatial, volume.spatial)) for v in volumes] if broadcast else None
    met = analysis.meet(runs, labels, volume, problem, gates)
    return _Met(runs, met, branches=tuple(run.results for run in runs) if layer.branches else ())


def _split(layer: Merge, state: State, problem: Problem) -> list[State]:
    """What each branch reads: the block's input, or (a concat's `split`) its slice of the channels."""
    if layer.split is None:
        return [state] * len(layer.branches)
    if layer.merged or layer.kind != "concat":
        problem("merge-form", "`split` goes with a concat's `branches`", option="split")
        raise _Stop
    volume = state.volume
    if len(layer.split) != len(layer.branches) or sum(layer.split) != volume.c:
        counts = " + ".join(map(str, layer.split))
        problem(
            "concat-split",
            f"split needs one count per branch ({len(layer.branches)}) adding up to the input's "
            f"{counted(volume.c, 'channel', separated=False)}, "
            f"got {len(layer.split)}: {counts} = {sum(layer.split)}",
            option="split",
        )
        raise _Stop
    return [state._replace(volume=volume.with_channels(c)) for c in layer.split]


def _centred(found: State, like: Volume, name: str, problem: Problem) -> State:
    """An earlier output cut to the current tensor's h x w around its centre (`crop: centre`)."""
    cuts = []
    for axis in range(like.rank):
        size, kept = found.volume[axis], like[axis]
        if size < kept:
            problem(
                "merge-crop",
                f"{name!r} gives {found.volume}, smaller than the current tensor's {like}: `crop: centre` cuts the "
                "larger inputs down, it does not pad the smaller",
                option="with",
            )
            raise _Stop
        cuts.append((size - kept) // 2)
    fields = tuple(field.through(Taps.sliding(1, 1, -cut)) for field, cut in zip(found.fields, cuts, strict=True))
    return State(like.with_channels(found.volume.c), fields, found.flattened, found.whole)


_JOINS = {"add": "add", "concat": "concatenate", "multiply": "multiply"}


def _joined(layer: Merge, volumes: Sequence[Volume], labels: Sequence[str], problem: Problem) -> tuple[Volume, bool]:
    """The merged tensor's volume, and whether an operand is broadcast; an error where the shapes do not agree."""
    first = volumes[0]
    if layer.kind == "concat":
        agree = all(v.spatial == first.spatial for v in volumes)
        joined = first.with_channels(sum(v.c for v in volumes))
        rule = f"{every_axis(AXIS_NAMES[first.rank])} differ" if first.rank > 1 else "the lengths differ"
    elif layer.kind == "add":
        agree = all(v == first for v in volumes)
        joined = first
        rule = "the shapes differ"
    else:  # multiply: as numpy broadcasts, each axis equal or 1
        sizes = [max(v[axis] for v in volumes) for axis in range(len(first))]
        agree = all(len(v) == len(first) for v in volumes) and all(
            v[axis] in (1, sizes[axis]) for v in volumes for axis in range(len(first))
        )
        joined = Volume(*sizes)
        letters = ", ".join((*AXIS_LETTERS[first.rank], "c"))
        rule = f"the shapes do not broadcast (each of {letters} equal, or 1 in either)"
    if not agree:
        shapes = ", ".join(f"{label} gives {v}" for label, v in zip(labels, volumes, strict=True))
        message = f"cannot {_JOINS[layer.kind]}: {rule}: {shapes}"
        larger = [
            v for v in volumes[1:] if all(map(int.__ge__, v.spatial, first.spatial)) and v.spatial != first.spatial
        ]
        if layer.merged and layer.crop is None and larger and layer.kind != "multiply":
            by = ", ".join(" x ".join(map(str, map(int.__sub__, v.spatial, first.spatial))) for v in larger)
            size = " x ".join(map(str, first.spatial))
            message += f" (larger by {by}): `crop: centre` cuts them to the current tensor's {size}"
        problem(f"{layer.kind}-shape", message)
        return first, False
    return joined, any(v.spatial != joined.spatial for v in volumes)
