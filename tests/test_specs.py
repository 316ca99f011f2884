"""The specs that ship in specs/: published parameter counts and the lecture's worked numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.engine import analyse
from cnncalc.loader import load_file
from cnncalc.report import Report
from cnncalc.spec import Volume

SPECS = Path(__file__).resolve().parent.parent / "specs"


def report(stem: str) -> Report:
    return analyse(load_file(str(SPECS / f"{stem}.yaml")))


@pytest.mark.parametrize(
    ("stem", "params", "output"),
    [
        # torchvision's documented counts for alexnet and vgg16; LeCun et al. (1998) for LeNet-5
        pytest.param("alexnet", 61_100_840, Volume(1, 1, 1000), id="alexnet"),
        pytest.param("vgg16", 138_357_544, Volume(1, 1, 1000), id="vgg16"),
        pytest.param("lenet5", 61_706, Volume(1, 1, 10), id="lenet5"),
    ],
)
def test_published_parameter_counts(stem: str, params: int, output: Volume) -> None:
    totals = report(stem).totals
    assert (totals.params, totals.trainable_params, totals.output) == (params, params, output)


def test_vgg16_macs_and_receptive_field() -> None:
    vgg = report("vgg16")
    # torchvision lists 15.47 GFLOPS for vgg16, counting multiply-adds
    assert vgg.totals.macs == 15_470_264_320
    by_name = {r.name: r for r in vgg.layers}
    # Araujo et al. (Distill 2019) give pool5 212, effective stride 32, padding 90; conv5_3 sees 212 - (2 - 1) * 16
    conv5_3 = by_name["conv5"].layers[-1]  # the last of the three convs the repeat `conv5` holds
    assert (conv5_3.path, conv5_3.receptive_field) == ("9.3", (196, 196))
    assert (by_name["pool5"].receptive_field, by_name["pool5"].jump) == ((212, 212), (32, 32))
    assert by_name["pool5"].effective_padding == (90, 90)


def test_alexnet_receptive_field() -> None:
    # Araujo et al. (Distill 2019) give 195 for AlexNet's last pooling layer
    alexnet = report("alexnet")
    pool5 = [r for r in alexnet.layers if r.kind == "maxpool"][-1]
    assert pool5.receptive_field == (195, 195)
    assert pool5.output == Volume(6, 6, 256)


@pytest.mark.parametrize(
    ("stem", "outputs"),
    [
        pytest.param("lecture-conv-stack", [(30, 30, 16), (28, 28, 32), (24, 24, 64)], id="32-30-28-24"),
        pytest.param("lecture-6x6-valid", [(4, 4, 1)], id="6x6-conv3"),
        pytest.param("lecture-6x6-pad1", [(6, 6, 1)], id="6x6-conv3-pad1"),
        pytest.param("lecture-7x7-stride2", [(3, 3, 1)], id="7x7-conv3-stride2"),
        pytest.param("lecture-same", [(32, 32, 16)] * 3, id="same-keeps-size"),
        pytest.param("lecture-maxpool", [(4 // 2, 4 // 2, 6)], id="4x4-maxpool-2/2"),
    ],
)
def test_lecture_worked_examples(stem: str, outputs: list[tuple[int, int, int]]) -> None:
    assert [r.output for r in report(stem).layers] == outputs


def test_same_padding_is_f_minus_1_over_2() -> None:
    paddings = [r.padding for r in report("lecture-same").layers]
    assert paddings == [((f - 1) // 2,) * 4 for f in (3, 5, 7)]


def test_lenet5_layer_by_layer() -> None:
    lenet = report("lenet5")
    assert [r.params for r in lenet.layers] == [
        6 * (5 * 5 * 1 + 1),
        0,
        16 * (5 * 5 * 6 + 1),
        0,
        0,
        120 * (400 + 1),
        84 * (120 + 1),
        10 * (84 + 1),
    ]
    assert [r.output for r in lenet.layers][:5] == [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (1, 1, 400)]


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_spec_computes_without_errors(path: Path) -> None:
    assert analyse(load_file(str(path))).layers
