"""Receptive fields through named skips, measured by back-propagation in PyTorch: small U-Nets (valid convs, pools,
transposed convs, skips cut around their centre and stacked) and FCN-like heads (skips scored, cut by offset and
added), built by hand in plain torch, float64, every weight 1 and no activations, so that the gradient of an output
is positive exactly on the input pixels it depends on. For every output of whole periods away from the borders,
the first and last row with a non-zero gradient must be cnncalc's window for that output."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")

import torch
from torch import nn

from cnncalc.engine import analyse
from cnncalc.loader import load
from cnncalc.report import Report


def ones(module: nn.Module) -> nn.Module:
    for parameter in module.parameters():
        nn.init.ones_(parameter)
    return module.double()


def centre(tensor: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`tensor` cut to `like`'s height and width around its centre: floor(cut / 2) before."""
    dh, dw = tensor.shape[2] - like.shape[2], tensor.shape[3] - like.shape[3]
    return tensor[:, :, dh // 2 : dh // 2 + like.shape[2], dw // 2 : dw // 2 + like.shape[3]]


class UNet(nn.Module):
    """`levels` levels down (two valid 3x3 convs, then a 2x2 pool) and up (a 2x2 transposed conv of stride 2, the
    skip cut around its centre and stacked, two valid 3x3 convs)."""

    def __init__(self, levels: int, kernel: int, up_kernel: int) -> None:
        super().__init__()
        self.levels, self.kernel, self.up_kernel = levels, kernel, up_kernel
        self.down = nn.ModuleList(
            nn.Sequential(ones(nn.Conv2d(1, 1, kernel)), ones(nn.Conv2d(1, 1, kernel))) for _ in range(levels + 1)
        )
        self.up = nn.ModuleList(ones(nn.ConvTranspose2d(1, 1, up_kernel, stride=2, bias=False)) for _ in range(levels))
        self.after = nn.ModuleList(
            nn.Sequential(ones(nn.Conv2d(2, 1, kernel)), ones(nn.Conv2d(1, 1, kernel))) for _ in range(levels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for level in range(self.levels):
            x = self.down[level](x)
            skips.append(x)
            x = nn.functional.avg_pool2d(x, 2)
        x = self.down[self.levels](x)
        for level in range(self.levels):
            x = self.up[level](x)
            x = torch.cat([x, centre(skips[-1 - level], x)], dim=1)
            x = self.after[level](x)
        return x

    def spec(self, side: int) -> str:
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
        return f"input: [{side}, {side}, 1]\nlayers:\n" + "\n".join(lines) + "\n"


def measured(model: nn.Module, side: int, o: int) -> tuple[int, int]:
    """The first and last input row output row `o` (at column 0) depends on."""
    x = torch.zeros(1, 1, side, side, dtype=torch.float64, requires_grad=True)
    y = model(x)
    y[0, 0, o, 0].backward()
    assert x.grad is not None
    rows = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero().flatten().tolist()
    return rows[0], rows[-1]


def check_every_output(model: nn.Module, report: Report, side: int) -> int:
    """Every output whose cnncalc window lies inside the input; how many were measured."""
    field = report.layers[-1].fields[0]
    out = report.totals.output.h
    checked = 0
    for o in range(out):
        window = field.at(o)
        assert window is not None
        if window[0] < 0 or window[1] >= side:
            continue
        assert measured(model, side, o) == window, o
        checked += 1
    return checked


def test_a_two_level_unet_output_by_output() -> None:
    """Two levels of U-Net: a period of 4 outputs, windows of unequal sizes; every inner output measured."""
    model = UNet(2, 3, 2)
    side = 92
    report = analyse(load(model.spec(side)))
    assert report.totals.output.h == tuple(model(torch.zeros(1, 1, side, side, dtype=torch.float64)).shape)[2]
    field = report.layers[-1].fields[0]
    assert field.period == 1 or not field.even
    assert check_every_output(model, report, side) >= 2 * field.period


@settings(max_examples=6, deadline=None)
@given(levels=st.integers(1, 2), kernel=st.sampled_from([1, 3]), up_kernel=st.sampled_from([2, 3, 4]))
def test_generated_unets_output_by_output(levels: int, kernel: int, up_kernel: int) -> None:
    # an unpadded 1x1 conv shrinks nothing: a transposed conv wider than its stride then outgrows the skip
    model = UNet(levels, kernel, up_kernel if kernel == 3 else 2)
    side = 16 * 2**levels + 24
    report = analyse(load(model.spec(side)))
    assert report.totals.output.h == tuple(model(torch.zeros(1, 1, side, side, dtype=torch.float64)).shape)[2]
    assert check_every_output(model, report, side) >= 1


class FCNHead(nn.Module):
    """FCN-8s's way of joining: a coarse score up-sampled by a transposed conv, the finer one cut by an offset to its
    size and added, then up-sampled again."""

    def __init__(self, offset: int) -> None:
        super().__init__()
        self.offset = offset
        self.fine = ones(nn.Conv2d(1, 1, 3, padding=1))
        self.coarse = nn.Sequential(ones(nn.Conv2d(1, 1, 3, padding=1)), nn.AvgPool2d(2), ones(nn.Conv2d(1, 1, 3)))
        self.up = ones(nn.ConvTranspose2d(1, 1, 4, stride=2, bias=False))
        self.score = ones(nn.Conv2d(1, 1, 1))
        self.final = ones(nn.ConvTranspose2d(1, 1, 4, stride=2, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fine = self.fine(x)
        up = self.up(self.coarse(fine))
        scored = self.score(fine)
        cut = scored[:, :, self.offset : self.offset + up.shape[2], self.offset : self.offset + up.shape[3]]
        out: torch.Tensor = self.final(cut + up)
        return out

    def spec(self, side: int) -> str:
        return (
            f"input: [{side}, {side}, 1]\nlayers:\n"
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


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_an_fcn_head_cut_by_offset_and_added(offset: int) -> None:
    model = FCNHead(offset)
    side = 40
    report = analyse(load(model.spec(side)))
    assert report.totals.output.h == tuple(model(torch.zeros(1, 1, side, side, dtype=torch.float64)).shape)[2]
    assert check_every_output(model, report, side) >= 2 * report.layers[-1].fields[0].period
