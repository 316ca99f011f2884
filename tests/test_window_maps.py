"""The window maps of `cnncalc.fields` against brute force: every output's window, as the set of input pixels it
depends on, followed layer by layer through sets, for chains of every kind of map (sliding, transposed, nearest,
linear, adaptive), at every output of several periods."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnncalc.fields import Field, PeriodError, Ratio, Taps, merge


def reads(taps: Taps, o: int) -> list[int]:
    first, step, count = taps.at(o)
    return [first + t * step for t in range(count)]


def brute_force(chain: list[Taps], o: int) -> set[int]:
    """The input pixels output `o` of the last layer depends on, read back through every layer."""
    positions = {o}
    for taps in reversed(chain):
        positions = {i for p in positions for i in reads(taps, p)}
    return positions


def composed(chain: list[Taps]) -> Field:
    field = Field()
    for taps in chain:
        field = field.through(taps)
    return field


def composed_within(chain: list[Taps], period: int = 200) -> Field:
    """The chain's field, where it repeats within `period` outputs (brute force costs a period squared)."""
    try:
        field = composed(chain)
    except PeriodError:
        field = Field(period + 1)
    assume(field.period <= period)
    return field


TAPS = st.one_of(
    st.builds(
        Taps.sliding,
        kernel=st.integers(1, 5),
        stride=st.integers(1, 3),
        pad_before=st.integers(0, 3),
        dilation=st.integers(1, 3),
    ),
    st.builds(
        Taps.transposed,
        kernel=st.integers(1, 5),
        stride=st.integers(1, 4),
        pad_before=st.integers(0, 3),
        dilation=st.integers(1, 3),
    ),
    st.integers(1, 6).flatmap(lambda size: st.builds(Taps.nearest, st.just(size), st.integers(size, 3 * size))),
    st.integers(1, 6).flatmap(
        lambda size: st.builds(Taps.linear, st.just(size), st.integers(size, 3 * size), st.booleans())
    ),
    st.integers(1, 9).flatmap(lambda size: st.builds(Taps.adaptive, st.just(size), st.integers(1, size))),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(TAPS, min_size=1, max_size=5))
def test_every_window_is_the_hull_of_what_the_output_depends_on(chain: list[Taps]) -> None:
    field = composed_within(chain)
    for o in range(-field.period, 3 * field.period):
        pixels = brute_force(chain, o)
        assert field.at(o) == ((min(pixels), max(pixels)) if pixels else None), o


@settings(max_examples=200, deadline=None)
@given(st.lists(TAPS, min_size=1, max_size=5))
def test_the_jump_is_how_far_the_windows_move_per_output(chain: list[Taps]) -> None:
    field = composed_within(chain)
    j = field.j
    expected = Fraction(field.shift, field.period)
    assert (Fraction(j.num, j.den) if isinstance(j, Ratio) else j) == expected
    # and the period is the shortest one: no shorter shift of the outputs moves every window alike
    for period in range(1, field.period):
        if field.period % period == 0 and (field.shift * period) % field.period == 0:
            shift = field.shift * period // field.period
            moved = [field.at(o + period) for o in range(field.period)]
            windows = [field.at(o) for o in range(field.period)]
            assert moved != [None if w is None else (w[0] + shift, w[1] + shift) for w in windows]


def test_an_encoder_keeps_distills_r_j_p() -> None:
    """VGG16 to pool5 (Araujo et al., Distill 2019): r 212, j 32, P 90."""
    chain = []
    for convs in (2, 2, 3, 3, 3):
        chain += [Taps.sliding(3, 1, 1)] * convs + [Taps.sliding(2, 2, 0)]
    field = composed(chain)
    assert (field.r, field.j, field.p, field.even) == (212, 32, 90, True)


def test_a_2x2_conv_after_a_2x_nearest_upsample_sees_1_or_2_pixels() -> None:
    field = composed([Taps.nearest(4, 8), Taps.sliding(2, 1, 0)])
    assert [field.at(o) for o in range(4)] == [(0, 0), (0, 1), (1, 1), (1, 2)]
    assert (field.r, field.j, field.p) == (2, Ratio(1, 2), 0)


def test_dcgans_first_output_sees_5_pixels_and_its_field_is_6() -> None:
    """The DCGAN generator's transposed convs after its 1 x 1 noise: k 4 s 1 p 0, then k 4 s 2 p 1, three times."""
    chain = [Taps.transposed(4, 1, 0)] + [Taps.transposed(4, 2, 1)] * 4
    field = composed(chain)
    first = field.first
    assert first is not None
    assert first[1] - first[0] + 1 == 5
    assert field.r == 6
    assert field.j == Ratio(1, 16)


def test_a_transposed_conv_narrower_than_its_stride_leaves_outputs_with_no_input() -> None:
    field = composed([Taps.transposed(1, 2, 0)])
    assert [field.at(o) for o in range(4)] == [(0, 0), None, (1, 1), None]
    assert field.r == 1


@pytest.mark.parametrize(
    ("size", "out", "windows"),
    [
        (5, 3, [(0, 1), (1, 3), (3, 4)]),  # PyTorch's [floor(i h / n), ceil((i + 1) h / n))
        (6, 3, [(0, 1), (2, 3), (4, 5)]),
        (7, 7, [(0, 0), (1, 1), (2, 2)]),
    ],
)
def test_adaptive_pool_windows(size: int, out: int, windows: list[tuple[int, int]]) -> None:
    field = composed([Taps.adaptive(size, out)])
    assert [field.at(o) for o in range(3)] == windows


def test_paths_with_equal_jumps_unite_output_by_output() -> None:
    up = composed([Taps.nearest(4, 8), Taps.sliding(2, 1, 0)])  # windows 1, 2, 1, 2 ...
    shifted = composed([Taps.nearest(4, 8), Taps.sliding(2, 1, 1)])  # 2, 1, 2, 1 ...
    (h, _), mismatches = merge([(up, Field()), (shifted, Field())], ["a", "b"])
    assert [h.at(o) for o in range(4)] == [(-1, 0), (0, 1), (0, 1), (1, 2)]
    assert h.r == 2
    assert mismatches
