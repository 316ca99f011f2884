"""The famous networks in specs/: their published parameter counts and receptive fields.

The counts are checked against cnncalc always, and against PyTorch where it is installed; every spec's layer-by-layer
comparison with a forward pass is test_pytorch.py's `test_spec_matches_a_pytorch_forward_pass`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cnncalc.engine import analyse
from cnncalc.fields import Ratio
from cnncalc.loader import load, load_file
from cnncalc.report import LayerResult, Report, walk
from cnncalc.spec import Volume

SPECS = Path(__file__).resolve().parent.parent / "specs"


def report(stem: str) -> Report:
    return analyse(load_file(str(SPECS / f"{stem}.yaml")))


def row(result: Report, key: str) -> LayerResult:
    """A top-level row by its name, or any row by its path ("40.4": row 4 inside block 40)."""
    named = [r for r in result.layers if r.name == key]
    if named:
        (found,) = named
        return found
    (found,) = [r for r in walk(result.layers) if r.path == key]
    return found


def field(found: LayerResult) -> tuple[int, int | Ratio, int]:
    """Receptive field, jump and effective padding, the same along both axes (the networks are square)."""
    height, width = zip(found.receptive_field, found.jump, found.effective_padding, strict=True)
    assert height == width
    return height


# -- published parameter counts ----------------------------------------------------------------------

PUBLISHED = [
    # torchvision's documented counts (sum(p.numel() for p in model.parameters())); it publishes no buffer counts
    pytest.param("resnet18", 11_689_512, None, id="resnet18-torchvision"),
    pytest.param("resnet50", 25_557_032, None, id="resnet50-torchvision"),
    pytest.param("vgg16", 138_357_544, 0, id="vgg16-torchvision"),
    pytest.param("vgg19", 143_667_240, 0, id="vgg19-torchvision"),
    pytest.param("mobilenet_v2", 3_504_872, None, id="mobilenet_v2-torchvision"),
    # Keras's model.summary(): trainable, and non-trainable (batchnorm's moving mean and variance)
    pytest.param("mobilenet_v1", 4_231_976, 21_888, id="mobilenet_v1-keras"),
]


@pytest.mark.parametrize(("stem", "trainable", "non_trainable"), PUBLISHED)
def test_published_parameter_counts(stem: str, trainable: int, non_trainable: int | None) -> None:
    totals = report(stem).totals
    assert totals.trainable_params == trainable
    if non_trainable is not None:
        assert totals.non_trainable_params == non_trainable
    assert totals.output == Volume(1, 1, 1000)


@pytest.mark.parametrize(("stem", "trainable", "non_trainable"), PUBLISHED)
def test_published_parameter_counts_in_pytorch(stem: str, trainable: int, non_trainable: int | None) -> None:
    pytest.importorskip("torch")
    import torch_reference

    run = torch_reference.run_file(SPECS / f"{stem}.yaml")
    assert sum(run.trainable[top] for top in run.top_level) == trainable
    if non_trainable is not None:
        assert sum(run.running[top] for top in run.top_level) == non_trainable


def test_batchnorm_statistics_are_two_per_channel() -> None:
    # Keras's 21,888 non-trainable: a moving mean and a moving variance for every channel of every batchnorm: after
    # the stem conv (32 channels), and in each block after the depthwise conv (its input's) and the pointwise conv
    blocks = [(32, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 512), *[(512, 512)] * 5, (512, 1024)]
    blocks.append((1024, 1024))
    assert 2 * (32 + sum(depthwise + pointwise for depthwise, pointwise in blocks)) == 21_888
    assert report("mobilenet_v1").totals.non_trainable_params == 21_888


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_expect_blocks_add_up(path: Path) -> None:
    # `summary` leaves `expect` alone: what a spec says it adds up to must be what cnncalc computes
    expect = yaml.safe_load(path.read_text()).get("expect") or {}
    totals = report(path.stem).totals
    computed = {
        "output": list(totals.output),
        "params": totals.params,
        "trainable_params": totals.trainable_params,
        "non_trainable_params": totals.non_trainable_params,
    }
    assert expect.keys() <= computed.keys()
    assert expect == {key: computed[key] for key in expect}


def test_inception_3a() -> None:
    inception = report("googlenet_inception3a")
    (block,) = inception.layers
    assert [branch[-1].output for branch in block.branches] == [(28, 28, 64), (28, 28, 128), (28, 28, 32), (28, 28, 32)]
    assert block.output == Volume(28, 28, 64 + 128 + 32 + 32)
    assert (
        inception.totals.params
        == (
            64 * (1 * 1 * 192 + 1)  # 1x1
            + 96 * (1 * 1 * 192 + 1)  # 3x3 reduce
            + 128 * (3 * 3 * 96 + 1)  # 3x3
            + 16 * (1 * 1 * 192 + 1)  # 5x5 reduce
            + 32 * (5 * 5 * 16 + 1)  # 5x5
            + 32 * (1 * 1 * 192 + 1)  # pool proj
        )
        == 163_696
    )
    # every branch is centred (padding (k - 1) / 2), so the concat sees what its widest branch sees: the 5x5's
    # 5 pixels from -2; the 3x3 branch and the pool branch see 3, the 1x1 branch 1
    assert [branch[-1].receptive_field[0] for branch in block.branches] == [1, 3, 5, 3]
    assert field(block) == (5, 1, 2)
    assert not inception.warnings


# -- receptive fields published by Araujo, Norris and Sim ----------------------------------------------
#
# "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019 (doi 10.23915/distill.00021), the
# table in "Discussion: receptive fields of modern networks": receptive field r, effective stride S and effective
# padding P of TF-Slim's models at their last end-point: alexnet_v2 195/32/64, vgg_16 212/32/90, mobilenet_v1
# 315/32/126, resnet_v1_50 483/32/239, inception_v2 699/32/318, inception_v3 1311/32/618, ... For intermediate
# end-points the article links its library's RECEPTIVE_FIELD_TABLE.md (github.com/google-research/receptive_field),
# whose rows for a 224 x 224 input hold the article's numbers at the last end-points; the rows below come from
# there (at 224, the specs' input), the last row of each network from both.
# (An earlier draft of the article, in github.com/distillpub/post--receptive-field, gave resnet_v1_50 P = 241:
# that table's value at a 321 x 321 input, where TF's SAME max pool pads one more row in front.)
#
# Not covered: MobileNet v2 and GoogLeNet (inception_v1) appear in neither table, and the article's Inception
# networks (v2, v3, v4, Inception-ResNet v2) are not in specs/; ResNet-18 and VGG19 are not in them either.

DISTILL = [
    # vgg_16: torchvision pads its 3x3 convs 1, as TF-Slim's SAME does at stride 1; its 2x2 pools pad nothing
    pytest.param("vgg16", "1.1", 3, 1, 1, id="vgg_16/conv1/conv1_1"),
    pytest.param("vgg16", "pool1", 6, 2, 2, id="vgg_16/pool1"),
    pytest.param("vgg16", "3.1", 10, 2, 4, id="vgg_16/conv2/conv2_1"),
    pytest.param("vgg16", "pool2", 16, 4, 6, id="vgg_16/pool2"),
    pytest.param("vgg16", "5.1", 24, 4, 10, id="vgg_16/conv3/conv3_1"),
    pytest.param("vgg16", "5.2", 32, 4, 14, id="vgg_16/conv3/conv3_2"),
    pytest.param("vgg16", "pool3", 44, 8, 18, id="vgg_16/pool3"),
    pytest.param("vgg16", "7.1", 60, 8, 26, id="vgg_16/conv4/conv4_1"),
    pytest.param("vgg16", "7.2", 76, 8, 34, id="vgg_16/conv4/conv4_2"),
    pytest.param("vgg16", "pool4", 100, 16, 42, id="vgg_16/pool4"),
    pytest.param("vgg16", "9.1", 132, 16, 58, id="vgg_16/conv5/conv5_1"),
    pytest.param("vgg16", "9.2", 164, 16, 74, id="vgg_16/conv5/conv5_2"),
    pytest.param("vgg16", "pool5", 212, 32, 90, id="vgg_16/pool5"),
    # mobilenet_v1: Keras pads its stride-2 convs (0, 1) on each axis, as TF-Slim's SAME does at 224, so the
    # numbers are TF-Slim's; the pointwise convs are the end-points (batchnorm and relu after them change nothing)
    pytest.param("mobilenet_v1", "conv1", 3, 2, 0, id="mobilenet_v1/Conv2d_0"),
    pytest.param("mobilenet_v1", "conv_pw_1", 7, 2, 2, id="mobilenet_v1/Conv2d_1_pointwise"),
    pytest.param("mobilenet_v1", "conv_pw_2", 11, 4, 2, id="mobilenet_v1/Conv2d_2_pointwise"),
    pytest.param("mobilenet_v1", "conv_pw_3", 19, 4, 6, id="mobilenet_v1/Conv2d_3_pointwise"),
    pytest.param("mobilenet_v1", "conv_pw_4", 27, 8, 6, id="mobilenet_v1/Conv2d_4_pointwise"),
    pytest.param("mobilenet_v1", "conv_pw_5", 43, 8, 14, id="mobilenet_v1/Conv2d_5_pointwise"),
    pytest.param("mobilenet_v1", "conv_pw_6", 59, 16, 14, id="mobilenet_v1/Conv2d_6_pointwise"),
    # blocks 7 to 11 are the repeat at row 40, six rows a block: the pointwise conv is the fourth
    pytest.param("mobilenet_v1", "40.4", 91, 16, 30, id="mobilenet_v1/Conv2d_7_pointwise"),
    pytest.param("mobilenet_v1", "40.10", 123, 16, 46, id="mobilenet_v1/Conv2d_8_pointwise"),
    pytest.param("mobilenet_v1", "40.16", 155, 16, 62, id="mobilenet_v1/Conv2d_9_pointwise"),
    pytest.param("mobilenet_v1", "40.22", 187, 16, 78, id="mobilenet_v1/Conv2d_10_pointwise"),
    pytest.param("mobilenet_v1", "40.28", 219, 16, 94, id="mobilenet_v1/Conv2d_11_pointwise"),
    pytest.param("mobilenet_v1", "conv_pw_12", 251, 32, 94, id="mobilenet_v1/Conv2d_12_pointwise"),
    pytest.param("mobilenet_v1", "conv_pw_13", 315, 32, 126, id="mobilenet_v1/Conv2d_13_pointwise"),
]


@pytest.mark.parametrize(("stem", "key", "r", "stride", "padding"), DISTILL)
def test_published_receptive_fields(stem: str, key: str, r: int, stride: int, padding: int) -> None:
    assert field(row(report(stem), key)) == (r, stride, padding)


# resnet_v1_50 is TF-Slim's ResNet-50, which differs from torchvision's (specs/resnet50.yaml) where it strides:
# - TF-Slim strides in the last unit of blocks 1 to 3, torchvision ("v1.5") in the first unit of stages 2 to 4,
#   both on the unit's 3x3 conv. r = 1 + sum of (k - 1) j over the layers, j the jump before each: the stem gives
#   11, and the sixteen 3x3 convs see jumps 4, 8, 16 and 32 three, four, six and three times in TF-Slim, but four,
#   four, six and two times in torchvision: 11 + 2 (3*4 + 4*8 + 6*16 + 3*32) = 483 against
#   11 + 2 (4*4 + 4*8 + 6*16 + 2*32) = 427. One 3x3 conv moves from jump 32 to jump 4: 2 (32 - 4) = 56 fewer.
# - TF-Slim's 3x3/2 max pool pads SAME, at 112 x 112 nothing in front (0, 1); torchvision's pads 1 all round.
#   Each 3x3 conv pads 1 in front in both: P = 3 + 0 + (3*4 + 4*8 + 6*16 + 3*32) = 239 against
#   3 + 1*2 + (4*4 + 4*8 + 6*16 + 2*32) = 213, which is (427 - 1) / 2: torchvision's fields are centred.
# So torchvision's network is checked for its own numbers, and TF-Slim's, written below in the spec format, for
# the published ones (at each block's end, RECEPTIVE_FIELD_TABLE.md's resnet_v1_50/block1 to block4).


def test_torchvision_resnet50_receptive_field() -> None:
    layer4 = row(report("resnet50"), "layer4.1-2")  # the last two blocks of layer4: the network's last conv
    # the 7x7/2 conv, the 3x3/2 max pool, then 3x3 convs padded 1: four at jump 4, four at 8, six at 16, two at 32
    r = 1 + (7 - 1) * 1 + (3 - 1) * 2 + (3 - 1) * (4 * 4 + 4 * 8 + 6 * 16 + 2 * 32)
    p = 3 * 1 + 1 * 2 + 1 * (4 * 4 + 4 * 8 + 6 * 16 + 2 * 32)
    assert (r, p) == (427, 213)
    assert field(layer4) == (r, 32, p)


def tf_slim_unit(width: int, stride: int, shortcut: str, name: str, indent: str = "  ") -> str:
    """A bottleneck unit of TF-Slim's resnet_v1 (`bottleneck`), as a spec layer.

    Its 3x3 conv carries the stride (conv2d_same: at stride 2 it pads 1 in front and 1 behind, then VALID); the
    shortcut is a 1x1 conv where the depth changes, else `subsample`: a 1x1 max pool of the stride, or nothing.
    """
    stride_option = f", stride: {stride}" if stride > 1 else ""
    shortcuts = {
        "project": f"[conv: {{filters: {4 * width}, kernel: 1, bias: false}}, batchnorm]",
        "subsample": f"[maxpool: {{size: 1, stride: {stride}}}]",
        "identity": "[]",
    }
    lines = [
        "- residual:",
        f"    name: {name}",
        "    activation: relu",
        "    layers:",
        f"      - conv: {{filters: {width}, kernel: 1, bias: false}}",
        "      - batchnorm",
        "      - relu",
        f"      - conv: {{filters: {width}, kernel: 3{stride_option}, padding: 1, bias: false}}",
        "      - batchnorm",
        "      - relu",
        f"      - conv: {{filters: {4 * width}, kernel: 1, bias: false}}",
        "      - batchnorm",
        f"    shortcut: {shortcuts[shortcut]}",
    ]
    return "".join(f"{indent}{line}\n" for line in lines)


def tf_slim_resnet_v1_50() -> str:
    """TF-Slim's resnet_v1_50 as a spec: blocks of 3, 4, 6 and 3 units, the first three striding in their last."""
    units = []
    for block, (width, count, stride) in enumerate([(64, 3, 2), (128, 4, 2), (256, 6, 2), (512, 3, 1)], start=1):
        units.append(tf_slim_unit(width, 1, "project", f"block{block}/unit_1"))
        for unit in range(2, count + 1):
            last = unit == count and stride > 1
            shortcut = "subsample" if last else "identity"
            units.append(tf_slim_unit(width, stride if last else 1, shortcut, f"block{block}/unit_{unit}"))
    stem = [
        "name: TF-Slim resnet_v1_50\n",
        "input: [224, 224, 3]\n",
        "layers:\n",
        # conv2d_same at stride 2: 3 in front and 3 behind; the max pool is SAME: at 112, (0, 1)
        "  - conv: {filters: 64, kernel: 7, stride: 2, padding: 3, bias: false}\n",
        "  - batchnorm\n",
        "  - relu\n",
        "  - maxpool: {size: 3, stride: 2, padding: same}\n",
    ]
    # TF-Slim's logits: a 1x1 conv with a bias, which is a dense layer on the pooled 1 x 1 map
    top = ["  - globalavgpool\n", "  - conv: {filters: 1000, kernel: 1}\n"]
    return "".join(stem + units + top)


@pytest.mark.parametrize(
    ("end_point", "r", "stride", "padding"),
    [
        pytest.param("block1/unit_3", 35, 8, 15, id="resnet_v1_50/block1"),
        pytest.param("block2/unit_4", 99, 16, 47, id="resnet_v1_50/block2"),
        pytest.param("block3/unit_6", 291, 32, 143, id="resnet_v1_50/block3"),
        pytest.param("block4/unit_3", 483, 32, 239, id="resnet_v1_50/block4"),
    ],
)
def test_tf_slim_resnet_v1_50_receptive_field(end_point: str, r: int, stride: int, padding: int) -> None:
    assert field(row(analyse(load(tf_slim_resnet_v1_50())), end_point)) == (r, stride, padding)


def test_tf_slim_resnet_v1_50_is_torchvisions_network_strided_elsewhere() -> None:
    tf_slim = analyse(load(tf_slim_resnet_v1_50()))
    torchvision = report("resnet50")
    # where a stride sits changes no parameter count: the same 25,557,032 and 53,120
    assert (tf_slim.totals.trainable_params, tf_slim.totals.non_trainable_params) == (25_557_032, 53_120)
    assert tf_slim.totals.params == torchvision.totals.params
    assert row(tf_slim, "block4/unit_3").output == row(torchvision, "layer4.1-2").output == Volume(7, 7, 2048)


def test_tf_slim_resnet_v1_50_matches_pytorch() -> None:
    pytest.importorskip("torch")
    import torch_reference

    spec = load(tf_slim_resnet_v1_50())
    result = analyse(spec)
    run = torch_reference.run(spec)
    assert [run.outputs[top] for top in run.top_level] == [r.output for r in result.layers]
    assert sum(run.trainable[top] for top in run.top_level) == 25_557_032
    assert sum(run.running[top] for top in run.top_level) == 53_120
