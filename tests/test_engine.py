"""The lecture's worked examples, and the formulas behind them, as tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli
from cnncalc.engine import analyse
from cnncalc.fields import Field, Span, first_span
from cnncalc.formulas import ShapeError, conv_output, pool_output, same_padding
from cnncalc.loader import load
from cnncalc.report import memory
from cnncalc.spec import Conv, Dense, Flatten, GlobalPool, Pool, Spec, Volume


def conv(filters: int, kernel: int, stride: int = 1, padding: str | int = "valid", **options: Any) -> Conv:
    sides = (padding,) * 4 if isinstance(padding, int) else padding
    return Conv(
        kind="conv", filters=filters, kernel=(kernel, kernel), stride=(stride, stride), padding=sides, **options
    )


def pool(size: int, stride: int | None = None, kind: str = "maxpool", **options: Any) -> Pool:
    step = stride or size
    return Pool(kind=kind, size=(size, size), stride=(step, step), **options)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "pad", "expected"),
    [
        pytest.param(32, 3, 1, 0, 30, id="32-conv3"),
        pytest.param(30, 3, 1, 0, 28, id="30-conv3"),
        pytest.param(28, 5, 1, 0, 24, id="28-conv5"),
        pytest.param(6, 3, 1, 0, 4, id="6x6-conv3"),
        pytest.param(6, 3, 1, 1, 6, id="6x6-conv3-pad1"),
        pytest.param(7, 3, 2, 0, 3, id="7x7-conv3-stride2"),
        pytest.param(224, 11, 4, 2, 55, id="alexnet-conv1-floored"),
        pytest.param(5, 5, 1, 0, 1, id="kernel-covers-input"),
    ],
)
def test_conv_output(size: int, kernel: int, stride: int, pad: int, expected: int) -> None:
    # (h + 2p - f) / s + 1, floored
    assert conv_output(size, kernel, stride, pad, pad) == expected


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "pad", "dilation"),
    [
        pytest.param(4, 5, 1, 0, 1, id="kernel-larger-than-input"),
        pytest.param(2, 3, 1, 0, 2, id="dilated-kernel-larger"),
    ],
)
def test_conv_output_refuses_a_kernel_larger_than_the_padded_input(
    size: int, kernel: int, stride: int, pad: int, dilation: int
) -> None:
    with pytest.raises(ShapeError, match="larger than the padded input"):
        conv_output(size, kernel, stride, pad, pad, dilation)


def test_dilation_widens_the_kernel() -> None:
    # k = d (f - 1) + 1 = 2 * 2 + 1 = 5
    assert conv_output(9, 3, dilation=2) == 9 - 5 + 1


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "expected"),
    [
        pytest.param(32, 3, 1, (1, 1), id="odd-kernel-p=(f-1)/2"),
        pytest.param(32, 5, 1, (2, 2), id="f5-p2"),
        pytest.param(32, 7, 1, (3, 3), id="f7-p3"),
        pytest.param(32, 2, 1, (0, 1), id="even-kernel-odd-one-after"),
        pytest.param(32, 4, 1, (1, 2), id="f4-asymmetric"),
        pytest.param(224, 3, 2, (0, 1), id="same-stride-2"),
        pytest.param(225, 3, 2, (1, 1), id="same-stride-2-odd-input"),
        pytest.param(7, 1, 2, (0, 0), id="1x1-stride-2-needs-none"),
    ],
)
def test_same_padding(size: int, kernel: int, stride: int, expected: tuple[int, int]) -> None:
    before, after = same_padding(size, kernel, stride)
    assert (before, after) == expected
    # SAME: output = input / stride, rounded up
    assert conv_output(size, kernel, stride, before, after) == -(-size // stride)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "pad", "expected"),
    [
        pytest.param(4, 2, 2, 0, 2, id="lecture-4x4-max-2/2"),
        pytest.param(5, 2, 2, 0, 3, id="ceil-keeps-last-partial-window"),
        pytest.param(6, 3, 2, 1, 4, id="ceil-window-into-padding-kept"),
        pytest.param(5, 2, 2, 1, 3, id="ceil-last-window-dropped"),
        pytest.param(1, 2, 2, 0, 1, id="ceil-window-larger-than-input"),
        pytest.param(112, 3, 2, 1, 57, id="ceil-with-padding"),
    ],
)
def test_ceil_pool_output(size: int, kernel: int, stride: int, pad: int, expected: int) -> None:
    assert pool_output(size, kernel, stride, pad, pad, ceil=True) == expected


def test_floor_and_ceil_pools_differ_only_when_the_stride_does_not_divide() -> None:
    assert pool_output(5, 2, 2) == 2
    assert pool_output(5, 2, 2, ceil=True) == 3
    assert pool_output(4, 2, 2) == pool_output(4, 2, 2, ceil=True) == 2


def run(input_volume: tuple[int, int, int], *layers: object) -> list[Volume]:
    report = analyse(Spec(Volume(*input_volume), tuple(layers)))  # type: ignore[arg-type]
    return [r.output for r in report.layers]


def test_lecture_stack_32_30_28_24() -> None:
    outputs = run((32, 32, 3), conv(16, 3), conv(32, 3), conv(64, 5))
    assert outputs == [Volume(30, 30, 16), Volume(28, 28, 32), Volume(24, 24, 64)]


def test_conv_params_do_not_depend_on_the_input_size() -> None:
    # K (f f c + 1) = 16 * (3*3*3 + 1)
    for size in (32, 64, 224):
        report = analyse(Spec(Volume(size, size, 3), (conv(16, 3),)))
        assert report.totals.params == 16 * (3 * 3 * 3 + 1) == 448


def test_pooling_keeps_the_channels_and_learns_nothing() -> None:
    report = analyse(Spec(Volume(4, 4, 6), (pool(2),)))
    assert report.layers[0].output == Volume(2, 2, 6)
    assert report.totals.params == 0


@pytest.mark.parametrize(
    ("layer", "input_volume", "expected_params", "expected_macs"),
    [
        pytest.param(conv(16, 3), (32, 32, 3), 16 * (3 * 3 * 3 + 1), 30 * 30 * 16 * 3 * 3 * 3, id="conv"),
        pytest.param(conv(16, 3, bias=False), (32, 32, 3), 16 * 3 * 3 * 3, 30 * 30 * 16 * 27, id="conv-no-bias"),
        pytest.param(conv(32, 3, groups=32), (8, 8, 32), 32 * (3 * 3 * 1 + 1), 6 * 6 * 32 * 9, id="depthwise"),
        pytest.param(conv(8, 1, groups=2), (4, 4, 6), 8 * (1 * 1 * 3 + 1), 4 * 4 * 8 * 3, id="grouped-1x1"),
        pytest.param(Dense(kind="dense", units=120), (1, 1, 400), 120 * (400 + 1), 400 * 120, id="dense"),
        pytest.param(Dense(kind="dense", units=10, bias=False), (1, 1, 84), 10 * 84, 840, id="dense-no-bias"),
    ],
)
def test_params_and_macs(
    layer: object, input_volume: tuple[int, int, int], expected_params: int, expected_macs: int
) -> None:
    report = analyse(Spec(Volume(*input_volume), (layer,)))  # type: ignore[arg-type]
    assert (report.totals.params, report.totals.macs) == (expected_params, expected_macs)
    assert report.totals.flops == 2 * expected_macs


def test_receptive_field_grows_by_f_minus_1_times_the_jump() -> None:
    # r_out = r_in + (f - 1) j_in, j_out = j_in s
    report = analyse(Spec(Volume(64, 64, 3), (conv(8, 3), conv(8, 3, stride=2), conv(8, 3), pool(2), conv(8, 3))))
    fields = [(r.receptive_field[0], r.jump[0]) for r in report.layers]
    assert fields == [(3, 1), (5, 2), (9, 2), (11, 4), (19, 4)]


def test_effective_padding_accumulates_before_the_stride() -> None:
    # P += p_before * j (Araujo et al.): 1 * 1, then 1 * 2
    report = analyse(Spec(Volume(32, 32, 3), (conv(8, 3, stride=2, padding=1), conv(8, 3, padding=1))))
    assert [r.effective_padding for r in report.layers] == [(1, 1), (3, 3)]


def test_dense_after_flatten_sees_the_whole_input() -> None:
    # LeNet-5 after S4: r = 16, j = 4 over a 5 x 5 map; the first dense adds (5 - 1) * 4
    layers = (
        conv(6, 5),
        pool(2, kind="avgpool"),
        conv(16, 5),
        pool(2, kind="avgpool"),
        Flatten(),
        Dense(kind="dense", units=120),
    )
    report = analyse(Spec(Volume(32, 32, 1), layers))
    assert [r.receptive_field[0] for r in report.layers] == [5, 6, 14, 16, 16, 32]
    assert report.layers[-1].covers_input == (True, True)
    assert report.layers[3].covers_input == (False, False)


def test_global_pool_covers_its_input() -> None:
    report = analyse(Spec(Volume(7, 7, 512), (GlobalPool(kind="globalavgpool"),)))
    assert report.layers[0].output == Volume(1, 1, 512)
    assert report.layers[0].receptive_field == (7, 7)


def test_same_padding_is_reported_per_side() -> None:
    report = analyse(Spec(Volume(224, 224, 3), (conv(64, 3, stride=2, padding="same"),)))
    assert report.layers[0].padding == (0, 1, 0, 1)
    assert report.layers[0].output == Volume(112, 112, 64)


def test_floored_division_warns_with_the_input_rows_left_out() -> None:
    # (224 - 11) / 4 = 53.25: 54 windows, and the last input row is never covered
    report = analyse(Spec(Volume(224, 224, 3), (conv(64, 11, stride=4),)))
    (warning,) = report.warnings
    assert warning.code == "floor"
    assert "(224 - 11) / 4 is not whole" in warning.message
    assert "floored to 54 and the last input row and column are left out" in warning.message


def test_a_floor_that_drops_only_padding_does_not_warn() -> None:
    # AlexNet's conv1: (224 + 2 + 2 - 11) / 4 = 54.25, but the row left out is the last row of padding
    assert analyse(Spec(Volume(224, 224, 3), (conv(64, 11, stride=4, padding=2),))).warnings == ()


def test_exact_division_does_not_warn() -> None:
    assert analyse(Spec(Volume(32, 32, 3), (conv(8, 3),))).warnings == ()


def test_memory_counts_every_activation_of_the_batch() -> None:
    report = analyse(Spec(Volume(4, 4, 6), (pool(2),)))
    mem = memory(report, batch=8, dtype="float16")
    assert mem.activation_bytes == (4 * 4 * 6 + 2 * 2 * 6) * 8 * 2
    assert mem.param_bytes == 0


@pytest.mark.parametrize(
    ("field", "size", "span", "centre_twice"),
    [
        # a 3x3 conv, padding 1: the first output sees pixels -1 to 1 (one of padding), centred on the first pixel
        pytest.param(Field.affine(3, 1, 1), 8, Span(-1, 1, 1, 0), 0, id="padded-3x3"),
        # VGG16's last pool: r = 212, P = 90 on 224: from -90 to 121, centred on 15.5
        pytest.param(Field.affine(212, 32, 90), 224, Span(-90, 121, 90, 0), 31, id="vgg16-pool5"),
        # a field past the input's end on both sides
        pytest.param(Field.affine(11, 1, 5), 4, Span(-5, 5, 5, 2), 0, id="past-both-ends"),
    ],
)
def test_the_first_outputs_field_spans_minus_p_to_r_minus_1_minus_p(
    field: Field, size: int, span: Span, centre_twice: int
) -> None:
    assert first_span(field, size) == span
    assert span.centre_twice == centre_twice


def test_rf_prints_a_centre_exactly_at_any_size(tmp_path: Path) -> None:
    # r = 250,002 with no padding: pixels 0 to 250,001, centred on 125,000.5 (a float's `:g` gives 125000)
    spec = tmp_path / "wide.yaml"
    spec.write_text("input: [250002, 1, 1]\nlayers:\n  - conv: {filters: 1, kernel: [250002, 1]}\n")
    result = CliRunner().invoke(cli, ["rf", str(spec)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "125000.5 x 0" in result.stdout


def test_zeropad_adds_its_rows_and_moves_the_field() -> None:
    # 8 + 1 + 2 = 11 rows, 6 + 0 + 3 = 9 columns; then a 3x3 conv sees pixels -1 to 1 of the input's rows
    spec = load("input: [8, 6, 3]\nlayers:\n  - zeropad: {padding: [1, 2, 0, 3]}\n  - conv: {filters: 4, kernel: 3}\n")
    pad, conv = analyse(spec).layers
    assert (pad.output, pad.params, pad.macs, pad.padding) == (Volume(11, 9, 3), 0, 0, (1, 2, 0, 3))
    assert (pad.receptive_field, pad.jump, pad.effective_padding) == ((1, 1), (1, 1), (1, 0))
    assert (conv.output, conv.receptive_field, conv.effective_padding) == (Volume(9, 7, 4), (3, 3), (1, 0))
    assert conv.params == 4 * (3 * 3 * 3 + 1)


def test_convnext_s_block_norms_and_scales_per_channel() -> None:
    # ConvNeXt-T's first block at 56 x 56 x 96: a 7x7 depthwise conv, LayerNorm (2c), the inverted bottleneck as
    # 1x1 convs, layer scale (c), stochastic depth (nothing): 4,800 + 192 + 37,248 + 36,960 + 96 = 79,296
    spec = load(
        "input: [56, 56, 96]\nlayers:\n"
        "  - conv: {filters: 96, kernel: 7, padding: 3, groups: 96}\n"
        "  - layernorm\n"
        "  - conv: {filters: 384, kernel: 1, activation: gelu}\n"
        "  - conv: {filters: 96, kernel: 1}\n"
        "  - scale\n"
        "  - droppath: {rate: 0.1}\n"
    )
    report = analyse(spec)
    assert [row.params for row in report.layers] == [4_800, 192, 37_248, 36_960, 96, 0]
    assert report.totals.trainable_params == 79_296
    assert report.totals.non_trainable_params == 0  # a layernorm keeps no statistics
    assert report.layers[-1].receptive_field == (7, 7)  # none of them reads a neighbour


def test_a_prelu_learns_one_slope_or_one_per_channel_and_a_shuffle_nothing() -> None:
    spec = load(
        "input: [8, 8, 6]\nlayers:\n  - prelu\n  - prelu: {per_channel: true}\n  - channelshuffle: {groups: 3}\n"
    )
    shared, per_channel, shuffle = analyse(spec).layers
    assert (shared.params, per_channel.params, shuffle.params) == (1, 6, 0)
    assert shuffle.output == Volume(8, 8, 6)


def test_squeeze_excite_is_the_multiply_of_its_gate_branch() -> None:
    # MobileNetV3's first gated block at 56 x 56 x 72: squeeze 24, hardsigmoid; 2*72*24 + 24 + 72 = 3,552
    head = "input: [56, 56, 72]\nlayers:\n  - conv: {filters: 72, kernel: 3, padding: 1, groups: 72, name: dw}\n"
    short = load(head + "  - squeeze_excite: {squeeze: 24, gate: hardsigmoid}\n  - conv: {filters: 40, kernel: 1}\n")
    written_out = load(
        head + "  - globalavgpool\n  - conv: {filters: 24, kernel: 1, activation: relu}\n"
        "  - conv: {filters: 72, kernel: 1, activation: hardsigmoid}\n  - multiply: {with: [dw]}\n"
        "  - conv: {filters: 40, kernel: 1}\n"
    )
    gated, after = analyse(short).layers[1:]
    full = analyse(written_out)
    assert (gated.params, gated.macs) == (3_552, 2 * 72 * 24)
    assert (full.totals.trainable_params, full.totals.macs) == (analyse(short).totals.trainable_params,
                                                                analyse(short).totals.macs)  # fmt: skip
    for ours, theirs in ((gated, full.layers[4]), (after, full.layers[5])):
        assert ours.receptive_field == theirs.receptive_field
        assert ours.local_receptive_field == theirs.local_receptive_field
        assert ours.effective_padding == theirs.effective_padding
    # the gate averages the whole map: every output sees all of it (and the padding the 3x3 conv reads);
    # held constant, the block sees what the depthwise conv does
    assert gated.receptive_field == (58, 58) and all(gated.covers_input)
    assert gated.local_receptive_field == (3, 3)
    assert gated.whole == ((-1, 56), (-1, 56))


def test_a_group_norm_brings_the_whole_map_and_a_layer_norm_does_not() -> None:
    spec = load(
        "input: [10, 10, 8]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n  - layernorm\n"
        "  - groupnorm: {groups: 2}\n  - conv: {filters: 8, kernel: 3}\n"
    )
    _, layer_norm, group_norm, after = analyse(spec).layers
    assert layer_norm.receptive_field == layer_norm.local_receptive_field == (3, 3)
    assert layer_norm.local is None
    # the 8 x 8 map's statistics: input pixels 0 to 9
    assert (group_norm.receptive_field, group_norm.local_receptive_field) == ((10, 10), (3, 3))
    assert group_norm.params == 16 and group_norm.non_trainable_params == 0
    assert (after.receptive_field, after.local_receptive_field, after.jump) == ((10, 10), (5, 5), (1, 1))
