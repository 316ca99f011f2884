"""Receptive fields along one axis, exactly, through down- and up-sampling alike: the window maps.

For an encoder the field is Araujo, Norris and Sim's (Distill 2019) size r, jump j and effective padding P, the same
for every output. After an upsample or a transposed convolution, outputs see windows of different sizes, depending
on where they are; what stays exact is the map from each output position to the input pixels its window spans,
which repeats itself: `lo(o + period) = lo(o) + shift` (see `Field`). Positions count from the input's first pixel,
the input extending for ever on both sides (padding positions are positions too).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import gcd
from operator import sub

from .exact import halves
from .formulas import ShapeError
from .record import Record
from .spec import AXIS_NAMES, every_axis

MAX_FIELD = 2**62  # past this a receptive field or jump is no longer a number of pixels worth reporting
# past this many output positions before the windows repeat, a map is no longer worth carrying position by position
# (the product of the up-sampling factors met, or an adaptive pool's n / gcd(h, n))
MAX_PERIOD = 4096


class Ratio(Record):
    """A jump that is a fraction of an input pixel (`1/2` after a 2x upsample): `num / den`, in lowest terms."""

    num: int
    den: int

    def __str__(self) -> str:
        return f"{self.num}/{self.den}"

    def __format__(self, spec: str) -> str:
        """As an int's jump is written: `{jump:,}` groups the thousands of both numbers."""
        return f"{self.num:{spec}}/{self.den:{spec}}"


class Taps(Record):
    """A layer's own window map along one axis: output `o` reads the input positions `first + t step` for `t` below
    `reads` (none where `reads` is 0), given per output phase `o mod period`; a period later, `shift` further on."""

    period: int
    shift: int
    first: tuple[int, ...]
    step: tuple[int, ...]
    reads: tuple[int, ...]

    @staticmethod
    def sliding(kernel: int, stride: int, pad_before: int, dilation: int = 1) -> Taps:
        """A conv or pool: output `o` reads `o s - p + t d`, for each of the `k` taps `t`."""
        return Taps(1, stride, (-pad_before,), (dilation,), (kernel,))

    @staticmethod
    def transposed(kernel: int, stride: int, pad_before: int, dilation: int = 1) -> Taps:
        """A transposed conv: input `i` is spread to the outputs `i s - p + t d`, so output `o` reads every `i` with
        `o = i s - p + t d` for a tap `t`: none, where the stride passes over every tap."""
        _bounded(stride)
        common = gcd(dilation, stride)
        turn = stride // common  # the taps that reach one output come this many apart
        firsts, reads = [], []
        for o in range(stride):
            if (o + pad_before) % common:
                firsts.append(0)
                reads.append(0)
                continue
            # the first tap t with t d = o + p (mod s), and how many more there are, turn apart, below k
            t = (o + pad_before) // common * pow(dilation // common, -1, turn) % turn
            count = max(0, -(-(kernel - t) // turn))
            firsts.append((o + pad_before - (t + (count - 1) * turn) * dilation) // stride)
            reads.append(count)
        steps = (dilation // common,) * stride
        return Taps(stride, 1, tuple(firsts), steps, tuple(reads))

    @staticmethod
    def nearest(size: int, out: int) -> Taps:
        """Nearest up-sampling from `size` to `out` positions, as PyTorch's: output `o` reads `floor(o size / out)`."""
        common = gcd(size, out)
        period = _bounded(out // common)
        return Taps(period, size // common, tuple(o * size // out for o in range(period)), (1,) * period, (1,) * period)

    @staticmethod
    def linear(size: int, out: int, align_corners: bool) -> Taps:
        """Linear up-sampling from `size` to `out` positions: output `o` reads the two pixels around its source
        `x = (o + 1/2) size / out - 1/2` (`o (size - 1) / (out - 1)` with `align_corners`), or the one where `x`
        is whole (the other's weight is 0); extrapolated past the borders, as the field ignores them."""
        if align_corners:  # x = o a / b
            a, b, offset = (size - 1, out - 1, 0) if out > 1 else (0, 1, 0)
        else:  # x = ((2o + 1) size - out) / (2 out) = (o a - offset) / b
            a, b, offset = 2 * size, 2 * out, out - size
        common = gcd(a, b)
        period = _bounded(b // common)
        firsts, reads = [], []
        for o in range(period):
            whole, part = divmod(o * a - offset, b)
            firsts.append(whole)
            reads.append(1 if part == 0 else 2)
        return Taps(period, a // common, tuple(firsts), (1,) * period, tuple(reads))

    @staticmethod
    def adaptive(size: int, out: int) -> Taps:
        """An adaptive pool from `size` to `out` positions, as PyTorch's: output `i` reads `floor(i size / out)` to
        `ceil((i + 1) size / out) - 1`."""
        common = gcd(size, out)
        period = _bounded(out // common)
        starts = [i * size // out for i in range(period)]
        ends = [-(-(i + 1) * size // out) for i in range(period)]
        reads = tuple(end - start for start, end in zip(starts, ends, strict=True))
        return Taps(period, size // common, tuple(starts), (1,) * period, reads)

    def at(self, o: int) -> tuple[int, int, int]:
        """The taps of output `o`: the first input position, the step and the count."""
        q, k = divmod(o, self.period)
        return self.first[k] + q * self.shift, self.step[k], self.reads[k]


class Field(Record):
    """Along one axis, the input pixels each output depends on: output `o` sees `lo(o)` to `hi(o)` (None for both
    where it sees none), given for the outputs `0 .. period - 1`; then `lo(o + period) = lo(o) + shift`."""

    period: int = 1
    shift: int = 1
    lo: tuple[int | None, ...] = (0,)
    hi: tuple[int | None, ...] = (0,)

    @staticmethod
    def affine(r: int, j: int, p: int) -> Field:
        """The field every output sees alike: r pixels from `o j - p`."""
        return Field(1, j, (-p,), (r - 1 - p,))

    @property
    def r(self) -> int:
        """The receptive field: the widest window of any output, first pixel to last (0 where none sees any)."""
        if self.period == 1:
            lo, hi = self.lo[0], self.hi[0]
            return 0 if lo is None or hi is None else hi - lo + 1
        if None not in self.lo:
            widest: int = max(map(sub, self.hi, self.lo))
            return widest + 1
        return max((hi - lo + 1 for lo, hi in zip(self.lo, self.hi, strict=True) if lo is not None and hi is not None),
                   default=0)  # fmt: skip

    @property
    def j(self) -> int | Ratio:
        """The jump: how far the windows move from one output to the next, on average over a period."""
        if self.period == 1:
            return self.shift
        common = gcd(self.shift, self.period)
        if common == self.period:
            return self.shift // self.period
        return Ratio(self.shift // common, self.period // common)

    @property
    def p(self) -> int:
        """The effective padding: minus the first pixel of the first output's window (the first with one)."""
        return -next((lo for lo in self.lo if lo is not None), 0)

    @property
    def first(self) -> tuple[int, int] | None:
        """The first output's window: its first and last input pixel."""
        lo, hi = self.lo[0], self.hi[0]
        return None if lo is None or hi is None else (lo, hi)

    @property
    def centre_twice(self) -> tuple[int, int] | None:
        """Where the windows are centred, doubled, as a fraction (numerator, denominator): output o's window is
        centred at `(lo(o) + hi(o)) / 2`, which less `o j` is the same for every o of an even field; over a period,
        its average. None where some output sees nothing."""
        if self.period == 1:
            lo, hi = self.lo[0], self.hi[0]
            return None if lo is None or hi is None else (lo + hi, 1)
        if any(lo is None for lo in self.lo):
            return None
        total = sum(lo + hi for lo, hi in zip(self.lo, self.hi, strict=True))  # type: ignore[operator,misc]
        numerator = total - self.shift * (self.period - 1)
        common = gcd(numerator, self.period)
        return numerator // common, self.period // common

    @property
    def alike(self) -> bool:
        """Whether every output sees a window, all of the same size: then the first output sees -P to -P + r - 1,
        whatever the period."""
        return all(
            lo is not None and hi is not None and hi - lo + 1 == self.r for lo, hi in zip(self.lo, self.hi, strict=True)
        )

    @property
    def causal(self) -> bool:
        """Whether every output sees its own position and those before it only (a WaveNet's causal padding):
        paths that all do meet aligned at the present, whatever their centres."""
        return self.period == 1 and self.hi[0] == 0

    @property
    def even(self) -> bool:
        """Whether every output sees a window of the same size, so that r, j and P say it all."""
        return self.period == 1

    @property
    def peak(self) -> int:
        """The largest number it holds, for the MAX_FIELD bound."""
        lo, hi = self.lo[0], self.hi[0]
        if self.period == 1 and lo is not None and hi is not None:
            return max(hi - lo + 1, self.shift, abs(lo), abs(hi))
        values = [v for v in (*self.lo, *self.hi) if v is not None]
        return max(self.r, self.shift, max(values, default=0), -min(values, default=0))

    def at(self, o: int) -> tuple[int, int] | None:
        """The window of output `o`."""
        q, k = divmod(o, self.period)
        lo, hi = self.lo[k], self.hi[k]
        return None if lo is None or hi is None else (lo + q * self.shift, hi + q * self.shift)

    def window(self, kernel: int, stride: int, pad_before: int) -> Field:
        """Through a conv or pool of effective kernel k: for an even field, `r += (k - 1) j`, `P += p_before j`,
        then `j *= s`."""
        return self.through(Taps.sliding(kernel, stride, pad_before))

    def whole(self, size: int) -> Field:
        """Through a filter covering all `size` positions: a global pool, or a dense layer after flatten."""
        return self.window(size, 1, 0)

    def through(self, taps: Taps) -> Field:
        """This field seen through a layer whose own map is `taps`: each output's window is the hull of the windows
        of the positions it reads. The period is the layer's, times what it takes its reads to come round to the
        same phase of this field's."""
        lo0, hi0 = self.lo[0], self.hi[0]
        if self.period == 1 and lo0 is not None and hi0 is not None:  # every output alike: the reads' ends say it
            j = self.shift
            if taps.period == 1 and taps.reads[0]:  # a conv or a pool: still alike (Araujo et al.'s recurrence)
                first, count = taps.first[0], taps.reads[0]
                return Field(1, taps.shift * j, (lo0 + first * j,), (hi0 + (first + (count - 1) * taps.step[0]) * j,))
            return _shortest(
                Field(
                    taps.period,
                    taps.shift * j,
                    tuple(
                        lo0 + first * j if count else None for first, count in zip(taps.first, taps.reads, strict=True)
                    ),
                    tuple(
                        hi0 + (first + (count - 1) * step) * j if count else None
                        for first, step, count in zip(taps.first, taps.step, taps.reads, strict=True)
                    ),
                )
            )
        turns = self.period // gcd(taps.shift, self.period)
        period = taps.period * turns
        if period > MAX_PERIOD:
            raise PeriodError(period)
        shift = taps.shift * turns // self.period * self.shift
        if taps.period == 1 and taps.reads[0] and None not in self.lo:
            return _shortest(self._slid(taps, period, shift))
        lows: list[int | None] = []
        highs: list[int | None] = []
        own_lo, own_hi, own_period, own_shift = self.lo, self.hi, self.period, self.shift
        for o in range(period):
            first, step, count = taps.at(o)
            lo = hi = None
            # a later read in the same phase of this field sees as far on, or further: the first and the last
            # `period` reads hold the smallest start and the largest end (`self.at`, written out: this loop is
            # the engine's inmost)
            reach = min(count, own_period)
            for t in range(reach):
                turn, phase = divmod(first + t * step, own_period)
                start = own_lo[phase]
                if start is not None and (lo is None or start + turn * own_shift < lo):
                    lo = start + turn * own_shift
            for t in range(count - reach, count):
                turn, phase = divmod(first + t * step, own_period)
                end = own_hi[phase]
                if end is not None and (hi is None or end + turn * own_shift > hi):
                    hi = end + turn * own_shift
            lows.append(lo)
            highs.append(hi)
        return _shortest(Field(period, shift, tuple(lows), tuple(highs)))

    def _slid(self, taps: Taps, period: int, shift: int) -> Field:
        """`through` a conv or a pool (one phase of taps) where every output sees a window: each output's window
        is the hull over `reads` input positions `step` apart, the windows of every position read written out
        once (a conv after up-sampling, the decoders' commonest layer)."""
        first, step, count, stride = taps.first[0], taps.step[0], taps.reads[0], taps.shift
        own_lo, own_hi, own_period, own_shift = self.lo, self.hi, self.period, self.shift
        positions = range(first, first + (period - 1) * stride + (count - 1) * step + 1)
        starts = [own_lo[x % own_period] + x // own_period * own_shift for x in positions]  # type: ignore[operator]
        ends = [own_hi[x % own_period] + x // own_period * own_shift for x in positions]  # type: ignore[operator]
        width = (count - 1) * step + 1
        lows = tuple(min(starts[o * stride : o * stride + width : step]) for o in range(period))
        highs = tuple(max(ends[o * stride : o * stride + width : step]) for o in range(period))
        return Field(period, shift, lows, highs)


def _bounded(period: int) -> int:
    if period > MAX_PERIOD:
        raise PeriodError(period)
    return period


class PeriodError(ShapeError):
    """A window map that repeats only after more than MAX_PERIOD outputs."""

    def __init__(self, period: int) -> None:
        super().__init__(
            f"its outputs' windows repeat only every {period:,} positions, more than {MAX_PERIOD:,}: "
            "the receptive field is not computed that far (up-sampling factors or adaptive pools that share no factor)"
        )


def _shortest(field: Field) -> Field:
    """The same map over its shortest period."""
    period = field.period
    for factor in _prime_factors(period):
        while period % factor == 0:
            candidate = period // factor
            if (field.shift * candidate) % field.period:
                break
            shift = field.shift * candidate // field.period
            if not all(
                _moved(field.lo[k], shift) == field.lo[k + candidate]
                and _moved(field.hi[k], shift) == field.hi[k + candidate]
                for k in range(field.period - candidate)
            ):
                break
            period = candidate
    if period == field.period:
        return field
    return Field(period, field.shift * period // field.period, field.lo[:period], field.hi[:period])


def _moved(value: int | None, by: int) -> int | None:
    return None if value is None else value + by


def _prime_factors(number: int) -> list[int]:
    factors = []
    factor = 2
    while factor * factor <= number:
        if number % factor == 0:
            factors.append(factor)
            while number % factor == 0:
                number //= factor
        factor += 1
    if number > 1:
        factors.append(number)
    return factors


Fields = tuple[Field, ...]  # one per spatial axis
Window = tuple[int, int]  # the first and the last input pixel


def hull(window: Window | None, other: Window | None) -> Window | None:
    """The smallest window holding both (either may be None: no window)."""
    if window is None or other is None:
        return window or other
    return min(window[0], other[0]), max(window[1], other[1])


def with_whole(field: Field, window: Window | None) -> Field:
    """What each output sees when the statistics of a whole map bring `window` to it: its own window and that one,
    over one period of outputs from the first."""
    if window is None:
        return field
    low, high = window
    return Field(
        field.period,
        field.shift,
        tuple(low if lo is None else min(lo, low) for lo in field.lo),
        tuple(high if hi is None else max(hi, high) for hi in field.hi),
    )


Jumps = tuple[int | Ratio, ...]


def merge(paths: Sequence[Fields], names: Sequence[str]) -> tuple[Fields, list[str]]:
    """The field where paths meet (an add, a concat): the union of what they see, and what does not line up.

    Real networks line their paths up (equal jumps, equal centres), and then the union is the largest field.
    """
    merged = []
    mismatches = []
    names_of_axes = AXIS_NAMES[len(paths[0])]
    for axis, axis_name in enumerate(names_of_axes):
        fields = [path[axis] for path in paths]
        jumps = [field.j for field in fields]
        # each output's centre less the jump's share of its position, over a period, doubled: where the windows
        # sit; for an even field, the first output's centre, doubled
        centres = [field.centre_twice for field in fields]
        if len(set(jumps)) > 1:
            found = ", ".join(f"{name} {j}" for name, j in zip(names, jumps, strict=True))
            mismatches.append(f"{axis_name}: the jumps differ: {found}")
        elif len(set(centres)) > 1 and None not in centres and not all(field.causal for field in fields):
            # how far apart, not where: a repeated block that misaligns its paths says the same in every repetition
            found = ", ".join(
                f"{name} off by {_offset(centre, centres[0])}"  # type: ignore[arg-type]
                for name, centre in zip(names[1:], centres[1:], strict=True)
                if centre != centres[0]
            )
            which = "first outputs'" if all(field.even for field in fields) else "outputs'"
            mismatches.append(f"{axis_name}: the {which} fields are centred apart: {found} from {names[0]}")
        merged.append(union(fields))
    said = {mismatch.split(": ", 1)[1] for mismatch in mismatches}
    if len(mismatches) == len(names_of_axes) > 1 and len(said) == 1:
        mismatches = [f"{every_axis(names_of_axes)}: {said.pop()}"]
    return tuple(merged), mismatches


def _offset(centre: tuple[int, int], reference: tuple[int, int]) -> str:
    """How far one centre (doubled, a fraction) is from another, in pixels: `+1.5`, `-1/3`."""
    numerator = centre[0] * reference[1] - reference[0] * centre[1]
    denominator = 2 * centre[1] * reference[1]
    common = gcd(numerator, denominator)
    numerator, denominator = numerator // common, denominator // common
    if denominator <= 2:
        return halves(numerator * (2 // denominator), signed=True)
    return f"{'+' if numerator > 0 else '-'}{abs(numerator)}/{denominator}"


def union(fields: Sequence[Field]) -> Field:
    """Output by output, the hull of the windows of every path: over a period that is a whole number of each
    path's where their jumps agree; else the steepest path's, a period of outputs from the first."""
    if all(field.period == 1 and field.lo[0] is not None for field in fields):
        shifts = {field.shift for field in fields}
        if len(shifts) == 1:  # every path even, and in step: the largest window
            lo = min(field.lo[0] for field in fields)  # type: ignore[type-var]
            hi = max(field.hi[0] for field in fields)  # type: ignore[type-var]
            return Field(1, shifts.pop(), (lo,), (hi,))
    steepest = max(fields, key=lambda field: field.shift / field.period)
    if all(field.shift * steepest.period == steepest.shift * field.period for field in fields):
        period = steepest.period
        for field in fields:
            period = period * field.period // gcd(period, field.period)
    else:
        period = steepest.period
    if period > MAX_PERIOD:
        raise PeriodError(period)
    lows: list[int | None] = []
    highs: list[int | None] = []
    for o in range(period):
        windows = [window for window in (field.at(o) for field in fields) if window is not None]
        lows.append(min((window[0] for window in windows), default=None))
        highs.append(max((window[1] for window in windows), default=None))
    shift = steepest.shift * period // steepest.period
    return _shortest(Field(period, shift, tuple(lows), tuple(highs)))


class Span(Record):
    """Where the first output's field lies along one axis of the input: from pixel `start` to `end` (0 is the
    input's first pixel), and how many of them are padding before and after it."""

    start: int
    end: int
    padding_before: int
    padding_after: int

    @property
    def centre_twice(self) -> int:
        """Twice the field's centre, `start + end`: an integer, where the centre may be a half."""
        return self.start + self.end


def first_span(field: Field, size: int) -> Span:
    """The first output's window in an input of `size` pixels (from -P to -P + r - 1 where all are alike)."""
    start, end = field.first or (-field.p, -field.p - 1)
    return Span(start, end, max(0, -start), max(0, end - (size - 1)))
