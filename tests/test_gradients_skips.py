"""Receptive fields through named skips, measured by back-propagation in PyTorch: small U-Nets (valid convs, pools,
transposed convs, skips cut around their centre and stacked) and FCN-like heads (skips scored, cut by offset and
added), built by hand in plain torch, float64, every weight 1 and no activations, so that the gradient of an output
is positive exactly on the input pixels it depends on. For every output of whole periods away from the borders,
the first and last row with a non-zero gradient must be cnncalc's window for that output. They are built at every
rank, 1-D and 3-D ones beside the 2-D: a 3-D input long along its first axis, the axis measured, and only as wide
as the network needs along the others."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")

import torch
from torch import nn
from torch_reference import AVG_POOLS, CONVS, TRANSPOSED  # needs torch

from cnncalc.engine import analyse
from cnncalc.loader import load
from cnncalc.report import Report


def ones(module: nn.Module) -> nn.Module:
    for parameter in module.parameters():
        nn.init.ones_(parameter)
    return module.double()


def centre(tensor: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`tensor` cut to `like`'s sizes around its centre, along every axis: floor(cut / 2) before."""
    cuts = [big - small for big, small in zip(tensor.shape[2:], like.shape[2:], strict=True)]
    kept = (slice(cut // 2, cut // 2 + size) for cut, size in zip(cuts, like.shape[2:], strict=True))
    index: tuple[slice, ...] = (slice(None), slice(None), *kept)
    return tensor[index]


def input_line(sides: Sequence[int]) -> str:
    return f"input: [{', '.join(map(str, sides))}, 1]\nlayers:\n"


class UNet(nn.Module):
    """`levels` levels down (two valid 3x3 convs, then a 2x2 pool) and up (a 2x2 transposed conv of stride 2, the
    skip cut around its centre and stacked, two valid 3x3 convs), of `rank` spatial axes."""

    def __init__(self, levels: int, kernel: int, up_kernel: int, rank: int = 2) -> None:
        super().__init__()
        self.levels, self.kernel, self.up_kernel = levels, kernel, up_kernel
        conv, transposed = CONVS[rank], TRANSPOSED[rank]
        self.down = nn.ModuleList(
            nn.Sequential(ones(conv(1, 1, kernel)), ones(conv(1, 1, kernel))) for _ in range(levels + 1)
        )
        self.up = nn.ModuleList(ones(transposed(1, 1, up_kernel, stride=2, bias=False)) for _ in range(levels))
        self.after = nn.ModuleList(
            nn.Sequential(ones(conv(2, 1, kernel)), ones(conv(1, 1, kernel))) for _ in range(levels)
        )
        self.pool = AVG_POOLS[rank](2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for level in range(self.levels):
            x = self.down[level](x)
            skips.append(x)
            x = self.pool(x)
        x = self.down[self.levels](x)
        for level in range(self.levels):
            x = self.up[level](x)
            x = torch.cat([x, centre(skips[-1 - level], x)], dim=1)
            x = self.after[level](x)
        return x

    def spec(self, sides: Sequence[int]) -> str:
        conv = f"conv: {{filters: 1, kernel: {self.kernel}}}"
        lines = []
        for level in range(self.levels):
            lines += [f"  - {conv}", f"  - conv: {{filters: 1, kernel: {self.kernel}, name: skip{level}}}"]
            lines.append("  - avgpool: {size: 2}")
        lines += [f"  - {conv}", f"  - {conv}"]
        for level in reversed(range(self.levels)):
            lines.append(f"  - convtranspose: {{filters: 1, kernel: {self.up_kernel}, stride: 2, bias: false}}")
            lines.append(f"  - concat: {{with: [skip{level}], crop: centre}}")
            lines += [f"  - {conv}", f"  - {conv}"]
        return input_line(sides) + "\n".join(lines) + "\n"


def measured(model: nn.Module, sides: Sequence[int], outputs: Sequence[int]) -> list[tuple[int, int]]:
    """For each output row `o` (at 0 along the other axes), the first and last input row it depends on: one backward
    pass, each output in its own sample of the batch."""
    x = torch.zeros(len(outputs), 1, *sides, dtype=torch.float64, requires_grad=True)
    y = model(x)
    picked = torch.zeros_like(y)
    for sample, o in enumerate(outputs):
        index = (sample, 0, o, *[0] * (len(sides) - 1))
        picked[index] = 1.0
    (gradient,) = torch.autograd.grad((y * picked).sum(), x)
    found = []
    for sample in gradient[:, 0].abs():
        rows = (sample.reshape(sides[0], -1).sum(dim=1) > 0).nonzero().flatten().tolist()
        found.append((rows[0], rows[-1]))
    return found


def check_every_output(model: nn.Module, report: Report, sides: Sequence[int]) -> int:
    """Every output along the first axis whose cnncalc window lies inside the input; how many were measured."""
    field = report.layers[-1].fields[0]
    inside: dict[int, tuple[int, int]] = {}
    for o in range(report.totals.output[0]):
        window = field.at(o)
        assert window is not None
        if window[0] >= 0 and window[1] < sides[0]:
            inside[o] = window
    for (o, window), found in zip(inside.items(), measured(model, sides, list(inside)), strict=True):
        assert found == window, o
    return len(inside)


def output_sizes(model: nn.Module, sides: Sequence[int]) -> tuple[int, ...]:
    """The spatial sizes of the model's output, by running it."""
    return tuple(model(torch.zeros(1, 1, *sides, dtype=torch.float64)).shape[2:])


def test_a_two_level_unet_output_by_output() -> None:
    """Two levels of U-Net: a period of 4 outputs, windows of unequal sizes; every inner output measured."""
    model = UNet(2, 3, 2)
    sides = (92, 92)
    report = analyse(load(model.spec(sides)))
    assert report.totals.output.spatial == output_sizes(model, sides)
    field = report.layers[-1].fields[0]
    assert field.period == 1 or not field.even
    assert check_every_output(model, report, sides) >= 2 * field.period


@pytest.mark.parametrize(
    ("rank", "levels", "sides"),
    [
        pytest.param(1, 2, (92,), id="1d-two-levels"),
        # as narrow as one level needs along the axes not measured
        pytest.param(3, 1, (56, 20, 20), id="3d-one-level"),
    ],
)
def test_a_unet_at_ranks_1_and_3_output_by_output(rank: int, levels: int, sides: tuple[int, ...]) -> None:
    model = UNet(levels, 3, 2, rank)
    report = analyse(load(model.spec(sides)))
    assert report.totals.output.spatial == output_sizes(model, sides)
    field = report.layers[-1].fields[0]
    assert field.period == 2**levels and not field.even
    assert check_every_output(model, report, sides) >= 2 * field.period


@settings(max_examples=6, deadline=None)
@given(levels=st.integers(1, 2), kernel=st.sampled_from([1, 3]), up_kernel=st.sampled_from([2, 3, 4]))
def test_generated_unets_output_by_output(levels: int, kernel: int, up_kernel: int) -> None:
    # an unpadded 1x1 conv shrinks nothing: a transposed conv wider than its stride then outgrows the skip
    model = UNet(levels, kernel, up_kernel if kernel == 3 else 2)
    sides = (16 * 2**levels + 24,) * 2
    report = analyse(load(model.spec(sides)))
    assert report.totals.output.spatial == output_sizes(model, sides)
    assert check_every_output(model, report, sides) >= 1


class FCNHead(nn.Module):
    """FCN-8s's way of joining: a coarse score up-sampled by a transposed conv, the finer one cut by an offset to its
    size and added, then up-sampled again; of `rank` spatial axes."""

    def __init__(self, offset: int, rank: int = 2) -> None:
        super().__init__()
        self.offset = offset
        conv, transposed = CONVS[rank], TRANSPOSED[rank]
        self.fine = ones(conv(1, 1, 3, padding=1))
        self.coarse = nn.Sequential(ones(conv(1, 1, 3, padding=1)), AVG_POOLS[rank](2), ones(conv(1, 1, 3)))
        self.up = ones(transposed(1, 1, 4, stride=2, bias=False))
        self.score = ones(conv(1, 1, 1))
        self.final = ones(transposed(1, 1, 4, stride=2, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fine = self.fine(x)
        up = self.up(self.coarse(fine))
        scored = self.score(fine)
        kept = (slice(self.offset, self.offset + size) for size in up.shape[2:])
        index: tuple[slice, ...] = (slice(None), slice(None), *kept)
        out: torch.Tensor = self.final(scored[index] + up)
        return out

    def spec(self, sides: Sequence[int]) -> str:
        return input_line(sides) + (
            "  - conv: {filters: 1, kernel: 3, padding: 1, name: fine}\n"
            "  - conv: {filters: 1, kernel: 3, padding: 1}\n"
            "  - avgpool: {size: 2}\n"
            "  - conv: {filters: 1, kernel: 3}\n"
            "  - convtranspose: {filters: 1, kernel: 4, stride: 2, bias: false, name: up}\n"
            "  - conv: {filters: 1, kernel: 1, from: fine}\n"
            f"  - crop: {{like: up, offset: {self.offset}}}\n"
            "  - add: {with: [up]}\n"
            "  - convtranspose: {filters: 1, kernel: 4, stride: 2, bias: false}\n"
        )


@pytest.mark.parametrize("sides", [(40,), (40, 40), (40, 10, 10)], ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("offset", [0, 1, 2])
def test_an_fcn_head_cut_by_offset_and_added(offset: int, sides: tuple[int, ...]) -> None:
    model = FCNHead(offset, len(sides))
    report = analyse(load(model.spec(sides)))
    assert report.totals.output.spatial == output_sizes(model, sides)
    assert check_every_output(model, report, sides) >= 2 * report.layers[-1].fields[0].period
