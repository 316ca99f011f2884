"""Repeat folding: the repetitions of a folded repeat that will do what the ones before them did, added up in
one step instead of computed one by one (settled bodies, and bodies that widen the map evenly)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from .fields import MAX_FIELD, Field, Fields, Window, hull
from .kinds import ByKind, children
from .record import Record
from .report import LayerResult
from .spec import (
    ACTIVATIONS,
    Conv,
    ConvTranspose,
    Layer,
    Location,
    Pool,
    Volume,
)


class State(Record):
    volume: Volume
    fields: Fields
    # after a flatten, the fields a layer mixing the channels will have: each channel is one input position
    flattened: Fields | None = None
    # per axis, the input pixels that statistics of a whole map (a group or instance norm's, a gate's) bring to every
    # output, first and last; `fields` set them aside: they are the local field
    whole: tuple[Window | None, ...] = (None, None)


class Run(Record):
    """A list of layers applied: the rows kept, where it leaves off, and what it costs."""

    results: tuple[LayerResult, ...]
    state: State
    trainable: int
    non_trainable: int
    macs: int


class Ahead(Record):
    """What the repetitions still to come of a repeat add up to, computed in one step."""

    state: State  # where the last of them leaves off
    costs: tuple[int, int, int]  # trainable, non-trainable parameters, MACs
    elements: int
    peak: int  # the largest field size, jump or padding any of their layers reaches (at most)


class Repetition(Record):
    """What one repetition of a repeat's layers did: enough to tell whether the next ones will do the same."""

    before: State
    after: State
    seen: dict[tuple[str, str, Location | None, str], int]  # the problems it reported, and how often
    elements: int
    costs: tuple[int, int, int]  # trainable, non-trainable parameters, MACs
    peak: int  # the largest field size, jump or padding any of its layers reached
    # per axis, the input pixels the statistics of whole maps among its layers brought (a norm's, a gate's)
    own: tuple[Window | None, ...] = (None, None)

    @staticmethod
    def of(
        before: State,
        run: Run,
        reported: list[tuple[Any, int]],
        elements: int,
        peak: int,
        own: tuple[Window | None, ...] = (None, None),
    ) -> Repetition:
        seen: dict[Any, int] = {}
        for key, count in reported:
            seen[key] = seen.get(key, 0) + count
        costs = (run.trainable, run.non_trainable, run.macs)
        return Repetition(before, run.state, seen, elements, costs, peak, own)

    def growth(self) -> tuple[tuple[int, int], ...]:
        """Per axis, how much it adds to the receptive field and to the effective padding."""
        return tuple(
            (out.r - into.r, out.p - into.p) for into, out in zip(self.before.fields, self.after.fields, strict=True)
        )

    def stretch(self) -> tuple[int, ...]:
        """How many positions along each axis, and channels, it adds to the volume."""
        return tuple(map(int.__sub__, self.after.volume, self.before.volume))

    def steady_after(self, last: Repetition | None) -> bool:
        """Whether it repeats `last` exactly: same volumes, jumps, costs and problems, the field growing alike.

        The layers then see the same input again, up to where the field lies: so will every later repetition.
        """
        return (
            last is not None
            and self.before.volume == last.before.volume
            and self.after.volume == last.after.volume
            and self.before.flattened is None
            and self.after.flattened is None
            and [window is None for window in self.own] == [window is None for window in last.own]
            and _jumps(self.before) is not None
            and _jumps(self.before) == _jumps(self.after) == _jumps(last.before)
            and self.growth() == last.growth()
            and self.costs == last.costs
            and self.elements == last.elements
            and self.seen == last.seen
        )

    def peak_after(self, times: int) -> int:
        """The largest field value the last of `times` more repetitions like this one reaches (at most)."""
        return self.peak + times * max(0, *(change for axis in self.growth() for change in axis))

    def after_more(self, times: int, last: Repetition | None = None) -> State | None:
        """The state after `times` more repetitions like this one (and `last`, the one before it, where statistics
        of whole maps are taken); None where a field could pass MAX_FIELD on the way (computed one by one, they
        stop with an error at the layer that passes it)."""
        if self.peak_after(times) > MAX_FIELD:
            return None
        fields = tuple(
            Field.affine(out.r + r * times, out.shift, out.p + p * times)
            for out, (r, p) in zip(self.after.fields, self.growth(), strict=True)
        )
        whole = list(self.after.whole)
        for axis, (own, before) in enumerate(zip(self.own, last.own if last else (None,) * len(self.own), strict=True)):
            if own is None or before is None or times < 1:
                continue
            # each repetition's statistics see windows moved alike from the last's: the first and the last of those
            # still to come reach furthest
            low, high = own[0] - before[0], own[1] - before[1]
            final = (own[0] + low * times, own[1] + high * times)
            if max(abs(final[0]), abs(final[1])) > MAX_FIELD:
                return None
            whole[axis] = hull(hull(whole[axis], (own[0] + low, own[1] + high)), final)
        return State(self.after.volume, fields, None, tuple(whole))

    def steady(self, times: int, last: Repetition | None = None) -> Ahead | None:
        """`times` more repetitions, each the same as this one (see `steady_after`); None as for `after_more`."""
        state = self.after_more(times, last)
        if state is None:
            return None
        costs = (self.costs[0] * times, self.costs[1] * times, self.costs[2] * times)
        return Ahead(state, costs, self.elements * times, self.peak_after(times))

    def widening(self, earlier: Sequence[Repetition], times: int) -> Ahead | None:
        """`times` more repetitions of a body that grows evenly (`grows_evenly`), where this one and the three
        before it (the last of `earlier`) widened the map alike; None where they did not, or as for `after_more`.

        Alike: the same positions added along each axis (none taken), the channels kept, the same jumps, field
        growth, parameters and problems, and MACs and elements changing by the same second difference. Each layer's
        output is its input plus a constant, so repetition i's input is affine in i, and its MACs and elements
        (products of at most three sides, times constants) are polynomials in i of degree three at most; with the
        same second difference over four repetitions, of degree two: the last three values give them exactly. A map that
        does not shrink fits every kernel it fitted; kept channels keep every layer's channels, and parameters.
        """
        run = (*earlier[-3:], self)
        *grown, channels = self.stretch()
        macs = [repetition.costs[2] for repetition in run]
        elements = [repetition.elements for repetition in run]
        alike = (
            len(run) == 4
            and min(grown) >= 0
            and channels == 0
            and all(one.after == next_one.before for one, next_one in pairwise(run))
            and all(
                repetition.before.flattened is None
                and repetition.after.flattened is None
                and not any(repetition.own)
                and _jumps(repetition.before) is not None
                and _jumps(repetition.before) == _jumps(repetition.after) == _jumps(self.after)
                and repetition.stretch() == self.stretch()
                and repetition.growth() == self.growth()
                and repetition.costs[:2] == self.costs[:2]
                and repetition.seen == self.seen
                for repetition in run
            )
            and len(set(_second_differences(macs))) == len(set(_second_differences(elements))) == 1
        )
        state = self.after_more(times) if alike else None
        if state is None:
            return None
        *sizes, c = self.after.volume
        trainable, non_trainable, _ = self.costs
        return Ahead(
            state._replace(volume=Volume(*(size + by * times for size, by in zip(sizes, grown, strict=True)), c)),
            (trainable * times, non_trainable * times, sum_ahead(macs, times)),
            sum_ahead(elements, times),
            self.peak_after(times),
        )


def _second_differences(values: Sequence[int]) -> list[int]:
    return [a - 2 * b + c for a, b, c in zip(values, values[1:], values[2:], strict=False)]


def sum_ahead(values: Sequence[int], times: int) -> int:
    """`f(1) + ... + f(times)` for the quadratic `f` whose `f(-2), f(-1), f(0)` are the last three `values`.

    With `d` its last difference and `s` its second, `f(k) = f(0) + k d + s k (k + 1) / 2`; summed over k, in
    integers: `k (k + 1)` is even, and `k (k + 1) (k + 2)` a multiple of 6.
    """
    before_last, last_but_one, last = values[-3:]
    d = last - last_but_one
    s = last - 2 * last_but_one + before_last
    return times * last + d * (times * (times + 1) // 2) + s * (times * (times + 1) * (times + 2) // 6)


def grows_evenly(layers: Iterable[Layer]) -> bool:
    """Whether `layers` make of any map they apply to that map plus a constant number of rows and columns.

    A window stepping by 1 gives `(h + p_before + p_after - k) // 1 + 1` (nothing floored; `same` keeps h, and
    `ceil` has no partial window to add), and widens the field and its padding by constants whatever the map; a layer
    that sees the whole map (flatten, dense, a global pool) does neither.
    """
    return all(GROWS_EVENLY.of(layer)(layer) for layer in layers)


# per kind, whether it grows evenly (see grows_evenly); False is always safe: its repeats are then computed one
# repetition at a time, slower, never wrong
GROWS_EVENLY = ByKind("folding.GROWS_EVENLY")


@GROWS_EVENLY.register("conv", "convtranspose", "maxpool", "avgpool")
def _steps_by_one(layer: Conv | ConvTranspose | Pool) -> bool:
    # a transposed conv at stride 1 gives `h - 1 - (p_before + p_after) + d (k - 1) + output_padding + 1`, and
    # widens the field by `d (k - 1)` times the jump, as a conv does
    return layer.stride == (1, 1)


@GROWS_EVENLY.register(
    "zeropad", "batchnorm", "layernorm", "scale", "dropout", "droppath", *ACTIVATIONS, "prelu", "channelshuffle"
)
def _keeps_the_map(layer: Layer) -> bool:
    return True


@GROWS_EVENLY.register(
    "dense", "flatten", "globalavgpool", "globalmaxpool", "groupnorm", "instancenorm", "squeeze_excite"
)
def _sees_the_whole_map(layer: Layer) -> bool:
    return False


@GROWS_EVENLY.register("upsample", "crop", "adaptiveavgpool", "adaptivemaxpool")
def _resamples(layer: Layer) -> bool:
    # a scale multiplies the map, a size or an adaptive pool fixes it, and a crop takes from it
    return False


@GROWS_EVENLY.register("repeat", "residual", "add", "concat", "multiply")
def _all_it_holds(layer: Layer) -> bool:
    # a merge of earlier outputs by name (`with`) joins tensors this repetition did not make alone
    return not getattr(layer, "merged", ()) and all(grows_evenly(held) for _, held in children(layer))


def _jumps(state: State) -> tuple[int, ...] | None:
    """The jumps of a state whose outputs all see alike (None otherwise: its repetitions are computed one by one)."""
    fields = state.fields
    return tuple(field.shift for field in fields) if all(field.even and field.first for field in fields) else None
