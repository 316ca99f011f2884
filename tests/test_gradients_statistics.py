"""Receptive fields where statistics of a whole map reach every output (a group or instance norm's mean and
variance, a squeeze-and-excitation gate), measured by back-propagation in PyTorch.

Stacks of convs (every weight positive, float64) with such layers among them, built in plain torch twice: as they
run, and with the statistics held constant (the means, variances and gates detached from the graph). For every
output, the rows and columns with a non-zero input gradient must be, as they run, every pixel the statistics'
maps see (the whole input but what a strided conv's last window leaves out) with its own window, and, with them
held constant, cnncalc's local window, cut to the input.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")

import torch
from torch import nn

from cnncalc.engine import analyse
from cnncalc.loader import load
from cnncalc.report import LayerResult

EPSILON = 1e-5


class Layer(nn.Module):
    """One layer of a drawn stack: a conv (`kernel`, `stride`, `padding`), or a statistics layer (`kind`)."""

    def __init__(self, kind: str, kernel: int = 1, stride: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.kind = kind
        self.conv = nn.Conv2d(2, 2, kernel, stride=stride, padding=padding).double()
        for parameter in self.conv.parameters():
            nn.init.uniform_(parameter, 0.5, 1.0)

    def forward(self, x: torch.Tensor, held: bool) -> torch.Tensor:
        if self.kind == "conv":
            return self.conv(x)  # type: ignore[no-any-return]
        if self.kind in ("squeeze_excite", "gate"):
            # a gate from the map's average; the 1 x 1 conv stands for both of the block's convs
            gate = torch.sigmoid(self.conv(x.mean(dim=(2, 3), keepdim=True)))
            return x * (gate.detach() if held else gate)
        # a group norm of 1 group, or an instance norm: statistics over the map (and the group's channels)
        dims = (1, 2, 3) if self.kind == "groupnorm" else (2, 3)
        mean, var = x.mean(dim=dims, keepdim=True), x.var(dim=dims, keepdim=True, unbiased=False)
        if held:
            mean, var = mean.detach(), var.detach()
        return (x - mean) / torch.sqrt(var + EPSILON)


SPEC_LINES = {
    "conv": "conv: {{filters: 2, kernel: {kernel}, stride: {stride}, padding: {padding}}}",
    "groupnorm": "groupnorm: {{groups: 1}}",
    "instancenorm": "instancenorm",
    "squeeze_excite": "squeeze_excite: {{squeeze: 2, activation: none}}",
    # the same gate written out: a broadcast multiply
    "gate": "dropout: {{rate: 0, name: x{index}}}\n  - globalavgpool\n"
    "  - conv: {{filters: 2, kernel: 1, activation: sigmoid}}\n  - multiply: {{with: [x{index}]}}",
}


@st.composite
def stacks(draw: st.DrawFn) -> tuple[int, list[dict[str, int | str]]]:
    """An input size and 2 to 5 layers, one at least taking statistics of its map."""
    size = draw(st.integers(6, 14))
    layers: list[dict[str, int | str]] = []
    for _ in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(["conv", "conv", "groupnorm", "instancenorm", "squeeze_excite", "gate"]))
        kernel = draw(st.integers(1, 3))
        # no padding: every output reads only pixels that are there, which the statistics of their maps reach
        layers.append({"kind": kind, "kernel": kernel, "stride": draw(st.integers(1, 2)), "padding": 0})
    if all(layer["kind"] == "conv" for layer in layers):
        layers.insert(draw(st.integers(0, len(layers))), {"kind": "groupnorm", "kernel": 1, "stride": 1, "padding": 0})
    return size, layers


def footprint(model: list[Layer], size: int, held: bool, row: int, column: int) -> tuple[list[int], list[int]]:
    """The input rows and columns whose gradient reaches output (row, column), summed over its channels."""
    x = torch.rand(1, 2, size, size, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in model:
        y = layer(y, held)
    (gradient,) = torch.autograd.grad(y[0, :, row, column].sum(), x)
    reached = gradient.abs().sum(dim=(0, 1)) > 0
    return (
        [r for r in range(size) if bool(reached[r].any())],
        [c for c in range(size) if bool(reached[:, c].any())],
    )


def cut(window: tuple[int, int] | None, size: int) -> list[int]:
    """The first and last pixel of `window` inside the input (a window spans its extent: a strided 1 x 1 conv's
    reads have gaps, and so do the gradients)."""
    if window is None or window[1] < 0 or window[0] > size - 1:
        return []
    return [max(window[0], 0), min(window[1], size - 1)]


def ends(positions: list[int]) -> list[int]:
    return [positions[0], positions[-1]] if positions else []


def hull(window: tuple[int, int] | None, other: tuple[int, int] | None) -> tuple[int, int] | None:
    if window is None or other is None:
        return window or other
    return min(window[0], other[0]), max(window[1], other[1])


@settings(max_examples=40, deadline=None)
@given(stacks())
def test_statistics_reach_every_output_and_the_local_field_is_the_gradient_with_them_held(
    drawn: tuple[int, list[dict[str, int | str]]],
) -> None:
    size, layers = drawn
    text = f"input: [{size}, {size}, 2]\nlayers:\n" + "".join(
        "  - " + SPEC_LINES[str(layer["kind"])].format(index=index, **layer) + "\n"
        for index, layer in enumerate(layers)
    )
    try:
        report = analyse(load(text))
    except Exception:  # a map too small for a kernel, or a norm over one value: nothing to measure
        return
    last: LayerResult = report.layers[-1]
    torch.manual_seed(0)
    model = [
        Layer("conv", int(layer["kernel"]), int(layer["stride"]), int(layer["padding"]))
        if layer["kind"] == "conv"
        else Layer(str(layer["kind"]))
        for layer in layers
    ]
    out_h, out_w, _ = last.output
    local_h, local_w = last.local or last.fields
    assert last.local is not None, text  # statistics were taken
    whole_h, whole_w = last.whole
    for row in range(out_h):
        for column in range(out_w):
            # the pixels the statistics' maps see: all of the input, but those a strided conv's last window left out
            rows, columns = footprint(model, size, False, row, column)
            assert ends(rows) == cut(hull(local_h.at(row), whole_h), size), (text, row)
            assert ends(columns) == cut(hull(local_w.at(column), whole_w), size), (text, column)
            rows, columns = footprint(model, size, True, row, column)
            assert ends(rows) == cut(local_h.at(row), size), (text, row)
            assert ends(columns) == cut(local_w.at(column), size), (text, column)
