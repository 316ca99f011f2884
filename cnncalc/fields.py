"""Receptive fields along one axis (Araujo, Norris and Sim, Distill 2019), and the field where paths meet."""

from __future__ import annotations

from collections.abc import Sequence

from .exact import halves
from .formulas import AXES
from .record import Record

MAX_FIELD = 2**62  # past this a receptive field or jump is no longer a number of pixels worth reporting


class Field(Record):
    """The receptive field along one axis (Araujo et al., Distill 2019): size r, jump j, effective padding p.

    The first output sees the input pixels from -p to -p + r - 1; neighbouring outputs are j pixels apart.
    """

    r: int = 1
    j: int = 1
    p: int = 0

    def window(self, kernel: int, stride: int, pad_before: int) -> Field:
        """Through a conv or pool: `r += (k - 1) j`, `p += p_before j`, then `j *= s`."""
        return Field(self.r + (kernel - 1) * self.j, self.j * stride, self.p + pad_before * self.j)

    def whole(self, size: int) -> Field:
        """Through a filter covering all `size` positions: a global pool, or a dense layer after flatten."""
        return Field(self.r + (size - 1) * self.j, self.j, self.p)


Fields = tuple[Field, Field]


def merge(paths: Sequence[Fields], names: Sequence[str]) -> tuple[Fields, list[str]]:
    """The field where paths meet (an add, a concat): the union of what they see, and what does not line up.

    Real networks line their paths up (equal jumps, equal centres), and then the union is the largest field.
    """
    merged = []
    mismatches = []
    for axis, axis_name in enumerate(AXES):
        fields = [path[axis] for path in paths]
        start = min(-f.p for f in fields)
        end = max(-f.p + f.r - 1 for f in fields)
        # the first output's centre, (start + end) / 2, doubled to stay an integer
        centres = [f.r - 1 - 2 * f.p for f in fields]
        if len({f.j for f in fields}) > 1:
            found = ", ".join(f"{name} {f.j}" for name, f in zip(names, fields, strict=True))
            mismatches.append(f"{axis_name}: the jumps differ: {found}")
        elif len(set(centres)) > 1:
            # how far apart, not where: a repeated block that misaligns its paths says the same in every repetition
            found = ", ".join(
                f"{name} off by {halves(c - centres[0], signed=True)}"
                for name, c in zip(names[1:], centres[1:], strict=True)
                if c != centres[0]
            )
            mismatches.append(f"{axis_name}: the first outputs' fields are centred apart: {found} from {names[0]}")
        merged.append(Field(end - start + 1, max(f.j for f in fields), -start))
    if len(mismatches) == 2 and mismatches[0].split(": ", 1)[1] == mismatches[1].split(": ", 1)[1]:
        mismatches = ["height and width: " + mismatches[0].split(": ", 1)[1]]
    return (merged[0], merged[1]), mismatches


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
    """The first output's field in an input of `size` pixels: from -P to -P + r - 1."""
    start, end = -field.p, -field.p + field.r - 1
    return Span(start, end, max(0, -start), max(0, end - (size - 1)))
