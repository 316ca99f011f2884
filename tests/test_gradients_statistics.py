"""Receptive fields where statistics of a whole map reach every output (a group or instance norm's mean and
variance, a squeeze-and-excitation gate), measured by back-propagation in PyTorch.

Stacks of convs (every weight positive, float64) with such layers among them, built in plain torch twice: as they
run, and with the statistics held constant (the means, variances and gates detached from the graph). For every
output, the rows and columns with a non-zero input gradient must be, as they run, every pixel the statistics'
maps see (the whole input but what a strided conv's last window leaves out) with its own window, and, with them
held constant, cnncalc's local window, cut to the input. The stacks are built at every rank, 3-D inputs at most 9
positions wide.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")

import torch
from torch import nn
from torch_reference import CONVS  # needs torch

from cnncalc.engine import analyse
from cnncalc.loader import load
from cnncalc.report import LayerResult
from cnncalc.spec import RANKS

EPSILON = 1e-5


class Layer(nn.Module):
    """One layer of a drawn stack of `rank` spatial axes: a conv (`kernel`, `stride`, `padding`), or a statistics
    layer (`kind`)."""

    def __init__(self, kind: str, rank: int, kernel: int = 1, stride: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.kind = kind
        self.conv = CONVS[rank](2, 2, kernel, stride=stride, padding=padding).double()
        with torch.no_grad():
            for parameter in self.conv.parameters():
                nn.init.uniform_(parameter, 0.5, 1.0)
            # each output about the average of what it reads: the values stay near 1, where a sigmoid gate still has
            # a slope in float64 (a 3-D kernel sums many taps)
            self.conv.weight /= self.conv.weight[0].numel()

    def forward(self, x: torch.Tensor, held: bool) -> torch.Tensor:
        if self.kind == "conv":
            return self.conv(x)  # type: ignore[no-any-return]
        spatial = tuple(range(2, x.dim()))
        if self.kind in ("squeeze_excite", "gate"):
            # a gate from the map's average; the 1 x 1 conv stands for both of the block's convs
            gate = torch.sigmoid(self.conv(x.mean(dim=spatial, keepdim=True)))
            return x * (gate.detach() if held else gate)
        # a group norm of 1 group, or an instance norm: statistics over the map (and the group's channels)
        dims = (1, *spatial) if self.kind == "groupnorm" else spatial
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


def footprints(model: list[Layer], size: int, held: bool, outputs: list[tuple[int, ...]]) -> list[list[list[int]]]:
    """For each output, along each axis, the input positions whose gradient reaches it, its channels weighted 1 and
    2 (their plain sum is constant where a norm's group is its channels at a single position): one backward pass,
    each output in its own sample of the batch, whose statistics are its own."""
    rank = len(outputs[0])
    x = torch.rand(len(outputs), 2, *[size] * rank, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in model:
        y = layer(y, held)
    picked = torch.zeros_like(y)
    for sample, at in enumerate(outputs):
        index: tuple[int | slice, ...] = (sample, slice(None), *at)
        picked[index] = torch.tensor([1.0, 2.0], dtype=torch.float64)
    (gradient,) = torch.autograd.grad((y * picked).sum(), x)
    found = []
    for reached in gradient.abs().sum(dim=1) > 0:
        along = (reached.movedim(axis, 0).reshape(size, -1).any(dim=1) for axis in range(rank))
        found.append([seen.nonzero().flatten().tolist() for seen in along])
    return found


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


# per rank, the largest input side: 3-D stacks stay small
LARGEST = {1: 14, 2: 14, 3: 9}


@pytest.mark.parametrize("rank", RANKS)
@settings(max_examples=40, deadline=None)
@given(stacks())
def test_statistics_reach_every_output_and_the_local_field_is_the_gradient_with_them_held(
    rank: int, drawn: tuple[int, list[dict[str, int | str]]]
) -> None:
    size, layers = drawn
    size = min(size, LARGEST[rank])
    text = f"input: [{', '.join([str(size)] * rank)}, 2]\nlayers:\n" + "".join(
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
        Layer("conv", rank, int(layer["kernel"]), int(layer["stride"]), int(layer["padding"]))
        if layer["kind"] == "conv"
        else Layer(str(layer["kind"]), rank)
        for layer in layers
    ]
    # statistics were taken: a gate written out multiplies alike-shaped tensors on a map of one position, no gate
    assert last.local is not None or last.output.is_point, text
    outputs = [tuple(at) for at in itertools.product(*map(range, last.output.spatial))]
    running_and_held = (footprints(model, size, False, outputs), footprints(model, size, True, outputs))
    for at, running, held in zip(outputs, *running_and_held, strict=True):
        # the pixels the statistics' maps see: all of the input, but those a strided conv's last window left out
        for axis, (local, whole) in enumerate(zip(last.local or last.fields, last.whole, strict=True)):
            assert ends(running[axis]) == cut(hull(local.at(at[axis]), whole), size), (text, at, axis)
            assert ends(held[axis]) == cut(local.at(at[axis]), size), (text, at, axis)
