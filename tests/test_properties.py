"""Properties over generated cases: the formulas against brute force, and the JSON against the report."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.diagnostics import SpecError
from cnncalc.documents import render_json
from cnncalc.engine import analyse
from cnncalc.formulas import ShapeError, conv_output, effective_kernel, padding_for, same_padding
from cnncalc.report import memory
from cnncalc.spec import Conv, Layer, Pool, Spec, Volume

sizes = st.integers(1, 300)
kernels = st.integers(1, 11)
strides = st.integers(1, 5)
pads = st.integers(0, 6)
dilations = st.integers(1, 3)


@given(sizes, kernels, strides, pads, pads, dilations)
def test_conv_output_counts_the_windows_that_fit(
    size: int, kernel: int, stride: int, before: int, after: int, dilation: int
) -> None:
    span = effective_kernel(kernel, dilation)
    # brute force: every start, one stride apart, whose window ends inside the padded input
    fitting = len(range(0, size + before + after - span + 1, stride))
    if fitting == 0:
        try:
            conv_output(size, kernel, stride, before, after, dilation)
        except ShapeError:
            return
        raise AssertionError("a kernel larger than the padded input was accepted")
    assert conv_output(size, kernel, stride, before, after, dilation) == fitting


@given(sizes, kernels, strides, dilations)
def test_same_padding_is_the_least_that_gives_ceil_h_over_s(size: int, kernel: int, stride: int, dilation: int) -> None:
    before, after = same_padding(size, kernel, stride, dilation)
    assert after - before in (0, 1)  # the odd pixel after, as TensorFlow puts it
    assert conv_output(size, kernel, stride, before, after, dilation) == -(-size // stride)
    if before + after:  # and one pixel less would not do
        try:
            assert conv_output(size, kernel, stride, before, after - 1 if after else 0, dilation) < -(-size // stride)
        except ShapeError:
            pass


windows = st.tuples(st.sampled_from(["conv", "maxpool"]), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2))


@settings(max_examples=200)
@given(st.lists(windows, min_size=1, max_size=8))
def test_receptive_field_matches_back_propagated_intervals(stack: list[tuple[str, int, int, int]]) -> None:
    windows = [
        (kind, kernel, stride, min(pad, kernel // 2)) for kind, kernel, stride, pad in stack
    ]  # pools: pad <= k/2
    layers: list[Layer] = [
        Conv(kind="conv", filters=1, kernel=(k, k), stride=(s, s), padding=(p,) * 4)
        if kind == "conv"
        else Pool(kind="maxpool", size=(k, k), stride=(s, s), padding=(p,) * 4)
        for kind, k, s, p in windows
    ]
    try:
        report = analyse(Spec(Volume(4096, 4096, 1), tuple(layers)))
    except SpecError:  # a stack that shrinks the input away proves nothing here
        return
    # the first output of the last layer, taken back layer by layer: output o of a window layer reads
    # input positions o*s - p to o*s - p + k - 1
    low = high = 0
    for _, k, s, p in reversed(windows):
        low, high = low * s - p, high * s - p + k - 1
    last = report.layers[-1]
    assert last.receptive_field[0] == high - low + 1
    assert last.effective_padding[0] == -low


@settings(max_examples=50)
@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 16), st.integers(1, 32), kernels, strides)
def test_json_says_what_the_report_says(h: int, w: int, c: int, filters: int, kernel: int, stride: int) -> None:
    layer = Conv(kind="conv", filters=filters, kernel=(kernel, kernel), stride=(stride, stride), padding="same")
    report = analyse(Spec(Volume(h, w, c), (layer,)))
    data = json.loads(render_json(report, memory(report), 1, "float32"))
    (row,) = data["layers"]
    assert row["output"] == list(report.layers[0].output) == [-(-h // stride), -(-w // stride), filters]
    assert row["params"] == data["totals"]["params"] == filters * (kernel * kernel * c + 1)
    assert data["totals"]["flops"] == 2 * data["totals"]["macs"]


@given(
    size=st.integers(1, 60),
    kernel=st.integers(1, 9),
    stride=st.integers(1, 5),
    dilation=st.integers(1, 3),
    wanted=st.integers(1, 70),
)
def test_padding_for_is_the_least_padding_that_gives_the_output(
    size: int, kernel: int, stride: int, dilation: int, wanted: int
) -> None:
    k = effective_kernel(kernel, dilation)
    # every total padding that could matter: past wanted * s + k, the output is past `wanted`
    giving = [
        total
        for total in range(wanted * stride + k + 1)
        if size + total >= k and conv_output(size, kernel, stride, total // 2, total - total // 2, dilation) == wanted
    ]
    found = padding_for(size, kernel, stride, wanted, dilation)
    if not giving:
        assert found is None
    else:
        least = min(giving)
        assert found == (least // 2, least - least // 2)
