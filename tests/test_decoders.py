"""Decoders, worked by hand: transposed convolutions, upsampling, crops and adaptive pools, their shapes, counts
and fields, and the located refusals of what cannot be built."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.diagnostics import SpecError
from cnncalc.engine import analyse
from cnncalc.fields import Ratio
from cnncalc.loader import load
from cnncalc.pipeline import analyse_file
from cnncalc.report import Report
from cnncalc.spec import Volume

SPECS = Path(__file__).resolve().parent.parent / "specs"


def run(layers: str, volume: str = "[7, 7, 4]") -> Report:
    return analyse(load(f"input: {volume}\nlayers:\n{layers}"))


def refused(layers: str, volume: str = "[7, 7, 4]") -> str:
    with pytest.raises(SpecError) as caught:
        run(layers, volume)
    return "; ".join(d.message for d in caught.value.diagnostics)


@pytest.mark.parametrize(
    ("options", "side"),
    [
        # (h - 1) s - (p_before + p_after) + d (k - 1) + output_padding + 1, PyTorch's
        pytest.param("kernel: 2, stride: 2", 14, id="2x2-stride-2-doubles"),
        pytest.param("kernel: 3, stride: 2, padding: 1", 13, id="(7-1)*2-2+2+1"),
        pytest.param("kernel: 3, stride: 2, padding: 1, output_padding: 1", 14, id="output-padding-makes-14"),
        pytest.param("kernel: 3", 9, id="stride-1-grows-by-k-1"),
        pytest.param("kernel: 3, dilation: 2", 11, id="dilated"),
        pytest.param("kernel: 4, stride: 2, padding: same", 14, id="same-is-h-s"),
        pytest.param("kernel: 3, stride: 2, padding: [1, 0, 1, 0]", 14, id="four-sides"),
        pytest.param("kernel: 1, stride: 3", 19, id="kernel-narrower-than-stride"),
    ],
)
def test_transposed_conv_output(options: str, side: int) -> None:
    report = run(f"  - convtranspose: {{filters: 8, {options}}}")
    assert report.totals.output == Volume(side, side, 8)


def test_transposed_conv_params_and_macs() -> None:
    """K (kh kw c / g) + K parameters; every input pixel times its filter: h w c (K / g) kh kw MACs."""
    row = run("  - convtranspose: {filters: 32, kernel: 2, stride: 2}", "[28, 28, 64]").layers[0]
    assert row.trainable_params == 32 * (2 * 2 * 64) + 32
    assert row.macs == 28 * 28 * 64 * 32 * 2 * 2
    grouped = run("  - convtranspose: {filters: 8, kernel: 3, groups: 4, bias: false}").layers[0]
    assert grouped.trainable_params == 8 * (3 * 3 * 4 // 4)


def test_same_splits_the_cut_as_tensorflow_does() -> None:
    """k - s = 3 cut from 4 x 2 = 8 + 3 outputs: 1 before, 2 after."""
    row = run("  - convtranspose: {filters: 1, kernel: 5, stride: 2, padding: same}", "[4, 4, 1]").layers[0]
    assert row.padding == (1, 2, 1, 2)
    assert row.output == Volume(8, 8, 1)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        pytest.param(
            "convtranspose: {filters: 1, kernel: 3, stride: 2, output_padding: 2}",
            "output_padding 2 must be below the stride (2) or the dilation (1)",
            id="output-padding-too-large",
        ),
        pytest.param(
            "convtranspose: {filters: 1, kernel: 1, stride: 2, padding: same}",
            "`same` needs the kernel (1) at least as wide as the stride (2)",
            id="same-kernel-below-stride",
        ),
        pytest.param(
            "convtranspose: {filters: 1, kernel: 2, stride: 2, padding: same, output_padding: 1}",
            "`same` takes no output_padding",
            id="same-with-output-padding",
        ),
        pytest.param(
            "convtranspose: {filters: 1, kernel: 1, padding: 4}",
            "leaves nothing of the 7 outputs",
            id="cut-everything",
        ),
        pytest.param(
            "upsample: {mode: nearest}", "upsample takes `scale` or `size`, one of them; neither", id="neither"
        ),
        pytest.param("upsample: {scale: 2, size: 14}", "one of them; both given", id="both"),
        pytest.param("upsample: {scale: 2, align_corners: true}", "align_corners goes with `mode: bilinear`", id="ac"),
        pytest.param("crop: {size: 8}", "height: cannot keep 8 of the input's 7", id="crop-too-large"),
        pytest.param("crop: {size: 4, offset: [4, 0]}", "4 from offset 4 ends at 8, past the input's 7", id="offset"),
        pytest.param("crop: {sides: [4, 3, 0, 0]}", "cutting 4 + 3 leaves nothing of the input's 7", id="sides"),
        pytest.param("crop: {sides: 1, size: 3}", "not both: drop `size`", id="sides-and-size"),
        pytest.param("crop", "crop needs `size`", id="nothing-to-cut"),
    ],
)
def test_refusals_say_what_is_wrong(layer: str, message: str) -> None:
    assert message in refused(f"  - {layer}")


def test_a_refusal_is_located_at_its_option() -> None:
    with pytest.raises(SpecError) as caught:
        run("  - convtranspose: {filters: 1, kernel: 3, stride: 2,\n      output_padding: 2}")
    (found,) = caught.value.diagnostics
    assert (found.loc.line, found.loc.column) == (4, 23)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("layer", "output"),
    [
        ("upsample: {scale: 2}", (14, 14)),
        ("upsample: {scale: [2, 3]}", (14, 21)),
        ("upsample: {size: [10, 16], mode: bilinear}", (10, 16)),
        ("crop: {size: [5, 3]}", (5, 3)),
        ("crop: {sides: [1, 2, 0, 3]}", (4, 4)),
        ("adaptiveavgpool: {size: 3}", (3, 3)),
        ("adaptivemaxpool: {size: [1, 9]}", (1, 9)),
    ],
)
def test_shapes(layer: str, output: tuple[int, int]) -> None:
    report = run(f"  - {layer}")
    assert report.totals.output == Volume(*output, 4)
    assert report.totals.params == report.totals.macs == 0


def test_a_centred_crop_cuts_the_odd_pixel_after() -> None:
    """7 to 4: 3 cut, floor(3 / 2) = 1 before and 2 after; the field moves by the one before."""
    row = run("  - crop: {size: 4}").layers[0]
    assert row.fields[0].at(0) == (1, 1)


def test_a_2x_nearest_upsample_halves_the_jump_and_a_2x2_conv_sees_1_or_2_pixels() -> None:
    report = run("  - upsample: {scale: 2}\n  - conv: {filters: 1, kernel: 2}")
    up, conv = report.layers
    assert up.jump == (Ratio(1, 2), Ratio(1, 2))
    assert [conv.fields[0].at(o) for o in range(4)] == [(0, 0), (0, 1), (1, 1), (1, 2)]
    assert conv.receptive_field == (2, 2)
    assert conv.uneven


def test_a_stride_2_pool_after_a_2x_upsample_sees_one_pixel_again() -> None:
    report = run("  - upsample: {scale: 2}\n  - maxpool: {size: 2}")
    assert report.totals.jump == (1, 1)
    assert report.totals.receptive_field == (1, 1)
    assert not report.layers[-1].uneven


def test_dcgan() -> None:
    """The DCGAN generator: 3,576,704 trainable parameters; output 0 sees 5 pixels of the noise map, the field
    is 6, and the windows move 1/16 of a pixel per output."""
    _, report = analyse_file(str(SPECS / "dcgan.yaml"))
    assert report.totals.trainable_params == 3_576_704
    assert report.totals.output == Volume(64, 64, 3)
    assert report.totals.receptive_field == (6, 6)
    assert report.totals.jump == (Ratio(1, 16), Ratio(1, 16))
    first = report.layers[-1].fields[0].first
    assert first is not None and first[1] - first[0] + 1 == 5


def test_vgg16_at_384_keeps_torchvisions_count() -> None:
    """torchvision's AdaptiveAvgPool2d((7, 7)) brings 12 x 12 back to 7 x 7 before fc6."""
    _, report = analyse_file(str(SPECS / "vgg16.yaml"), Volume(384, 384, 3))
    assert report.totals.params == 138_357_544
    pool = next(row for row in report.layers if row.kind == "adaptiveavgpool")
    assert pool.input == Volume(12, 12, 512)
    assert pool.jump == (Ratio(384, 7), Ratio(384, 7))


def test_an_adaptive_pool_of_a_period_too_long_is_refused() -> None:
    assert "repeat only every 4,099 positions, more than 4,096" in refused(
        "  - adaptiveavgpool: {size: 4099}", "[4100, 4100, 1]"
    )
