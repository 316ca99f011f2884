"""`cnncalc check --target` on 1-D and 3-D specs: each framework's layers of that rank, and its rules there."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.check import check
from cnncalc.cli import cli
from cnncalc.engine import analyse
from cnncalc.loader import load

ONE_D = "[64, 4]"
THREE_D = "[16, 32, 32, 3]"


def found(text: str, target: str, severity: str = "error") -> list[tuple[str | None, str]]:
    """Each diagnostic of that severity `check --target` gives the spec, as (the layer's path, the message)."""
    spec = load(text)
    return [(d.layer, d.message) for d in check(spec, analyse(spec), [], target) if d.severity == severity]


def one_layer(volume: str, layer: str, target: str) -> list[str]:
    return [message for _, message in found(f"input: {volume}\nlayers:\n  - {layer}\n", target)]


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "net.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["check", str(path), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


UNBUILDABLE = [
    # 1-D
    pytest.param("pytorch", ONE_D, "conv: {filters: 8, kernel: 3, stride: 2, padding: same}",
                 "PyTorch: Conv1d takes padding='same' only at stride 1; pad with nn.ZeroPad1d in front",
                 id="1d-pytorch-same-stride-2"),
    pytest.param("pytorch", ONE_D, "conv: {filters: 8, kernel: 3, padding: [2, 0]}",
                 "PyTorch: Conv1d pads both sides of an axis alike; put nn.ZeroPad1d in front", id="1d-pytorch-causal"),
    pytest.param("pytorch", ONE_D, "maxpool: {size: 2, padding: same}",
                 "PyTorch: MaxPool1d has no padding='same'; give the padding explicitly", id="1d-pytorch-pool-same"),
    pytest.param("pytorch", ONE_D, "avgpool: {size: 3, stride: 1, padding: [0, 1]}",
                 "PyTorch: AvgPool1d pads both sides of an axis alike", id="1d-pytorch-pool-asymmetric"),
    pytest.param("pytorch", ONE_D, "convtranspose: {filters: 8, kernel: 3, stride: 2, padding: same}",
                 "PyTorch: ConvTranspose1d has no padding='same', here a cut of (0, 1) before, after; give the smaller "
                 "side as padding and crop the rest with a negative nn.ZeroPad1d after",
                 id="1d-pytorch-transposed-odd"),
    pytest.param("pytorch", ONE_D, "convtranspose: {filters: 8, kernel: 4, stride: 2, padding: same}",
                 "PyTorch: ConvTranspose1d has no padding='same'; here padding=1 cuts the same",
                 id="1d-pytorch-transposed-even"),
    pytest.param("keras", ONE_D, "conv: {filters: 8, kernel: 3, padding: [1, 2]}",
                 "Keras: Conv1D takes only padding 'valid', 'same' or 'causal'; put ZeroPadding1D in front",
                 id="1d-keras-integer"),
    pytest.param("keras", ONE_D, "conv: {filters: 8, kernel: 4, padding: [1, 2]}",
                 "Keras: Conv1D takes only padding 'valid', 'same' or 'causal'; here padding: same gives the same "
                 "zeros",
                 id="1d-keras-integer-same"),
    pytest.param("keras", ONE_D, "conv: {filters: 8, kernel: 3, padding: [1, 0]}",
                 "Keras: Conv1D takes only padding 'valid', 'same' or 'causal'; put ZeroPadding1D in front",
                 id="1d-keras-short-of-causal"),
    # a pool has no 'causal': the padding a causal conv takes is still no pool's
    pytest.param("keras", ONE_D, "maxpool: {size: 2, stride: 1, padding: [1, 0]}",
                 "Keras: MaxPooling1D takes only padding 'valid' or 'same'; put ZeroPadding1D in front",
                 id="1d-keras-pool-causal"),
    pytest.param("keras", ONE_D, "conv: {filters: 8, kernel: 3, stride: 2, dilation: 2}",
                 "Keras: Conv1D refuses strides above 1 together with a dilation_rate above 1",
                 id="1d-keras-stride-dilation"),
    pytest.param("keras", ONE_D, "convtranspose: {filters: 8, kernel: 5, padding: 1}",
                 "Keras: Conv1DTranspose takes only padding 'valid' or 'same'; give padding 'valid' and put Cropping1D "
                 "after", id="1d-keras-transposed-integer"),
    pytest.param("keras", ONE_D, "convtranspose: {filters: 6, kernel: 3, groups: 2}",
                 "Keras: Conv1DTranspose has no groups", id="1d-keras-transposed-groups"),
    pytest.param("keras", ONE_D, "upsample: {scale: 2, mode: bilinear}",
                 "Keras: UpSampling1D only repeats values: it has no linear interpolation, and Resizing takes images "
                 "only", id="1d-keras-upsample-linear"),
    pytest.param("keras", ONE_D, "upsample: {size: 128}",
                 "Keras: UpSampling1D takes an integer factor, not a `size`: give it L / l where that is whole",
                 id="1d-keras-upsample-size"),
    pytest.param("keras", ONE_D, "adaptiveavgpool: {size: 8}",
                 "Keras: no adaptive pooling; AveragePooling1D with pool_size = strides = l / n gives it where n "
                 "divides l, and where the map is already n long it is the identity: leave it out",
                 id="1d-keras-adaptive"),
    pytest.param("keras", ONE_D, "squeeze_excite: {squeeze: 2}",
                 "Keras: no layer of its own: GlobalAveragePooling1D(keepdims=True), two kernel-1 Conv1D and a "
                 "Multiply",
                 id="1d-keras-squeeze-excite"),
    pytest.param("keras", ONE_D, "channelshuffle: {groups: 2}",
                 "Keras: no layer of its own: a Reshape to (l, g, c / g), a Permute and a Reshape back",
                 id="1d-keras-channelshuffle"),
    # 3-D
    pytest.param("pytorch", THREE_D, "conv: {filters: 8, kernel: 3, padding: [1, 1, 0, 1, 1, 1]}",
                 "PyTorch: Conv3d pads both sides of an axis alike; put nn.ZeroPad3d in front",
                 id="3d-pytorch-asymmetric"),
    pytest.param("pytorch", THREE_D, "conv: {filters: 8, kernel: 3, stride: [1, 2, 2], padding: same}",
                 "PyTorch: Conv3d takes padding='same' only at stride 1; pad with nn.ZeroPad3d in front",
                 id="3d-pytorch-same-stride"),
    pytest.param("pytorch", THREE_D, "avgpool: {size: [1, 2, 2], padding: same}",
                 "PyTorch: AvgPool3d has no padding='same'; give the padding explicitly", id="3d-pytorch-pool-same"),
    pytest.param("pytorch", THREE_D, "convtranspose: {filters: 8, kernel: [3, 4, 4], stride: 2, padding: same}",
                 "PyTorch: ConvTranspose3d has no padding='same', here a cut of (0, 1, 1, 1, 1, 1) front, back, top, "
                 "bottom, left, right; give the smaller side as padding and crop the rest with a negative nn.ZeroPad3d "
                 "after", id="3d-pytorch-transposed-odd"),
    pytest.param("pytorch", THREE_D, "convtranspose: {filters: 8, kernel: [4, 6, 6], stride: 2, padding: same}",
                 "PyTorch: ConvTranspose3d has no padding='same'; here padding=(1, 2, 2) cuts the same",
                 id="3d-pytorch-transposed-per-axis"),
    pytest.param("pytorch", THREE_D, "convtranspose: {filters: 8, kernel: 3, padding: [0, 0, 1, 1, 0, 1]}",
                 "PyTorch: ConvTranspose3d cuts both sides of an axis alike; give the smaller side as padding and crop "
                 "the rest with a negative nn.ZeroPad3d after", id="3d-pytorch-transposed-asymmetric"),
    pytest.param("keras", THREE_D, "conv: {filters: 8, kernel: 3, padding: [1, 1, 0, 1, 1, 1]}",
                 "Keras: Conv3D takes only padding 'valid' or 'same'; put ZeroPadding3D in front",
                 id="3d-keras-asymmetric"),
    pytest.param("keras", THREE_D, "conv: {filters: 8, kernel: [3, 2, 2], padding: [1, 1, 0, 1, 0, 1]}",
                 "Keras: Conv3D takes only padding 'valid' or 'same'; here padding: same gives the same zeros",
                 id="3d-keras-integer-same"),
    pytest.param("keras", THREE_D, "maxpool: {size: 2, ceil: true}", "Keras: pooling has no ceil mode",
                 id="3d-keras-ceil"),
    pytest.param("keras", THREE_D, "avgpool: {size: 3, stride: 1, padding: 1}",
                 "Keras: AveragePooling3D takes only padding 'valid' or 'same'; here padding: same gives the same "
                 "zeros",
                 id="3d-keras-pool-integer"),
    pytest.param("keras", THREE_D, "conv: {filters: 8, kernel: 3, stride: [1, 2, 2], dilation: [2, 1, 1]}",
                 "Keras: Conv3D refuses strides above 1 together with a dilation_rate above 1",
                 id="3d-keras-stride-dilation"),
    pytest.param("keras", THREE_D,
                 "convtranspose: {filters: 8, kernel: [4, 3, 3], stride: 2, padding: [1, 1, 0, 1, 0, 1]}",
                 "Keras: Conv3DTranspose takes only padding 'valid' or 'same'; here padding: same gives the same cut",
                 id="3d-keras-transposed-same"),
    pytest.param("keras", THREE_D,
                 "convtranspose: {filters: 8, kernel: 3, dilation: [1, 2, 1], output_padding: [0, 1, 0]}",
                 "Keras: Conv3DTranspose takes output_padding below the stride only",
                 id="3d-keras-transposed-output-padding"),
    pytest.param("keras", THREE_D, "upsample: {scale: [1, 2, 2], mode: bilinear}",
                 "Keras: UpSampling3D only repeats values: it has no trilinear interpolation, and Resizing takes "
                 "images only", id="3d-keras-upsample-trilinear"),
    pytest.param("keras", THREE_D, "upsample: {size: [32, 64, 64]}",
                 "Keras: UpSampling3D takes integer factors, not a `size`: give it D / d, H / h and W / w where each "
                 "is whole", id="3d-keras-upsample-size"),
    pytest.param("keras", THREE_D, "adaptivemaxpool: {size: [1, 4, 4]}",
                 "Keras: no adaptive pooling; MaxPooling3D with pool_size = strides = (d / n1, h / n2, w / n3) gives "
                 "it where each n divides its axis, and where the map is already n1 x n2 x n3 it is the identity: "
                 "leave it out", id="3d-keras-adaptive"),
    pytest.param("keras", THREE_D, "squeeze_excite: {squeeze: 2}",
                 "Keras: no layer of its own: GlobalAveragePooling3D(keepdims=True), two 1x1x1 Conv3D and a Multiply",
                 id="3d-keras-squeeze-excite"),
    pytest.param("keras", THREE_D, "channelshuffle: {groups: 3}",
                 "Keras: no layer of its own: a Reshape to (d, h, w, g, c / g), a Permute and a Reshape back",
                 id="3d-keras-channelshuffle"),
]  # fmt: skip


@pytest.mark.parametrize(("target", "volume", "layer", "reason"), UNBUILDABLE)
def test_targets_name_the_layers_of_the_specs_rank(target: str, volume: str, layer: str, reason: str) -> None:
    assert one_layer(volume, layer, target) == [reason]


BUILT_AS_WRITTEN = [
    pytest.param(ONE_D, "conv: {filters: 8, kernel: 3, padding: same}", id="1d-conv-same"),
    pytest.param(ONE_D, "maxpool: {size: 3, stride: 2}", id="1d-maxpool"),
    pytest.param(ONE_D, "convtranspose: {filters: 8, kernel: 3, stride: 2, output_padding: 1}", id="1d-transposed"),
    pytest.param(ONE_D, "upsample: {scale: 3}", id="1d-upsample-nearest"),
    pytest.param(ONE_D, "zeropad: {padding: [3, 0]}", id="1d-zeropad"),
    pytest.param(ONE_D, "crop: {sides: [1, 2]}", id="1d-crop"),
    pytest.param(ONE_D, "adaptiveavgpool: {size: 1}", id="1d-global-adaptive"),
    pytest.param(ONE_D, "globalmaxpool", id="1d-globalpool"),
    pytest.param(THREE_D, "conv: {filters: 8, kernel: [3, 1, 5], padding: same}", id="3d-conv-same"),
    pytest.param(THREE_D, "maxpool: {size: [1, 2, 2]}", id="3d-maxpool"),
    pytest.param(THREE_D, "convtranspose: {filters: 8, kernel: 3, stride: [1, 2, 2]}", id="3d-transposed"),
    pytest.param(THREE_D, "upsample: {scale: [1, 2, 2]}", id="3d-upsample-nearest"),
    pytest.param(THREE_D, "zeropad: {padding: [0, 1, 1, 0, 2, 0]}", id="3d-zeropad"),
    pytest.param(THREE_D, "crop: {size: [8, 24, 24]}", id="3d-crop"),
    pytest.param(THREE_D, "adaptivemaxpool: {size: [1, 1, 1]}", id="3d-global-adaptive"),
    pytest.param(THREE_D, "batchnorm", id="3d-batchnorm"),
    pytest.param(THREE_D, "instancenorm", id="3d-instancenorm"),
]


@pytest.mark.parametrize(("volume", "layer"), BUILT_AS_WRITTEN)
@pytest.mark.parametrize("target", ["pytorch", "keras"])
def test_both_frameworks_build_these_at_every_rank(target: str, volume: str, layer: str) -> None:
    assert one_layer(volume, layer, target) == []


@pytest.mark.parametrize(
    "layer",
    [
        "conv: {filters: 8, kernel: 3, padding: [2, 0]}",
        "conv: {filters: 8, kernel: 3, dilation: 4, padding: [8, 0]}",
        "conv: {filters: 8, kernel: 2, stride: 2, padding: [1, 0]}",  # causal pads d (k - 1) at any stride
        "conv: {filters: 8, kernel: 7, groups: 4, padding: [6, 0], activation: relu}",
    ],
)
def test_a_causal_conv_is_keras_conv1d_padding_causal(layer: str) -> None:
    assert one_layer(ONE_D, layer, "keras") == []
    assert one_layer(ONE_D, layer, "pytorch") == [
        "PyTorch: Conv1d pads both sides of an axis alike; put nn.ZeroPad1d in front"
    ]


def test_causal_padding_is_only_a_1d_convs(tmp_path: Path) -> None:
    # the same zeros before and none after on the height of an image: Conv2D has no 'causal'
    assert one_layer("[32, 32, 3]", "conv: {filters: 8, kernel: 3, padding: [2, 0, 0, 0]}", "keras") == [
        "Keras: Conv2D takes only padding 'valid' or 'same'; put ZeroPadding2D in front"
    ]
    # nor a transposed one: it cuts, and Conv1DTranspose takes 'valid' or 'same' alone
    assert one_layer(ONE_D, "convtranspose: {filters: 8, kernel: 3, padding: [2, 0]}", "keras") == [
        "Keras: Conv1DTranspose takes only padding 'valid' or 'same'; give padding 'valid' and put Cropping1D after"
    ]


@pytest.mark.parametrize(
    ("volume", "layer"),
    [
        pytest.param(ONE_D, "conv: {filters: 8, kernel: 5, stride: 2, padding: 2}", id="1d-conv"),
        pytest.param(THREE_D, "conv: {filters: 8, kernel: 3, padding: [1, 1, 0, 0, 2, 2]}", id="3d-conv"),
        pytest.param(THREE_D, "maxpool: {size: 3, stride: 2, padding: [1, 1, 0, 0, 1, 1], ceil: true}", id="3d-pool"),
    ],
)
def test_pytorch_pads_each_axis_alike_where_keras_takes_no_number(volume: str, layer: str) -> None:
    assert one_layer(volume, layer, "pytorch") == []
    assert one_layer(volume, layer, "keras")


@pytest.mark.parametrize("volume", [ONE_D, THREE_D])
def test_pytorch_upsamples_linearly_at_every_rank(volume: str) -> None:
    # nn.Upsample's mode 'linear' (1-D) and 'trilinear' (3-D): `bilinear` builds, align_corners too
    layer = "upsample: {scale: 2, mode: bilinear, align_corners: true}"
    assert one_layer(volume, layer, "pytorch") == []
    assert len(one_layer(volume, layer, "keras")) == 1  # the mode alone: align_corners goes with it


EVERY_RULE = {
    1: """\
input: [64, 8]
layers:
  - conv: {filters: 8, kernel: 3, stride: 2, padding: same}
  - conv: {filters: 8, kernel: 3, padding: [1, 2]}
  - maxpool: {size: 2, padding: same}
  - avgpool: {size: 3, stride: 1, padding: [0, 1], ceil: true}
  - convtranspose: {filters: 8, kernel: 3, stride: 2, padding: same}
  - convtranspose: {filters: 8, kernel: 3, stride: 2, padding: [0, 1], groups: 2}
  - upsample: {scale: 2, mode: bilinear, align_corners: true}
  - adaptiveavgpool: {size: 4}
  - squeeze_excite: {squeeze: 2}
  - channelshuffle: {groups: 2}
""",
    3: """\
input: [8, 16, 16, 8]
layers:
  - conv: {filters: 8, kernel: 3, stride: 2, padding: same}
  - conv: {filters: 8, kernel: 3, padding: [1, 2, 1, 1, 1, 1]}
  - maxpool: {size: 2, padding: same}
  - avgpool: {size: 3, stride: 1, padding: [0, 1, 1, 1, 1, 1], ceil: true}
  - convtranspose: {filters: 8, kernel: 3, stride: 2, padding: same}
  - convtranspose: {filters: 8, kernel: 3, stride: 2, padding: [0, 1, 0, 0, 0, 0], groups: 2}
  - upsample: {scale: 2, mode: bilinear, align_corners: true}
  - adaptiveavgpool: {size: 2}
  - squeeze_excite: {squeeze: 2}
  - channelshuffle: {groups: 2}
""",
}


@pytest.mark.parametrize("rank", [1, 3])
@pytest.mark.parametrize("target", ["pytorch", "keras"])
def test_no_message_at_another_rank_names_a_2d_layer(target: str, rank: int) -> None:
    messages = [message for _, message in found(EVERY_RULE[rank], target)]
    assert len(messages) >= 5
    assert all("2d" not in message and "2D" not in message for message in messages), messages
    # each names a layer of its rank, but for the rules on options (ceil) and the layers built by hand (a Reshape)
    named = [message for message in messages if "ceil" not in message and "Reshape" not in message]
    assert all(f"{rank}d" in message or f"{rank}D" in message for message in named), messages


MERGES = {
    1: """\
input: [64, 4]
layers:
  - conv: {filters: 8, kernel: 3, name: enc}
  - maxpool: {size: 2}
  - conv: {filters: 8, kernel: 3}
  - upsample: {scale: 2}
  - concat: {with: [enc], crop: centre}
  - conv: {filters: 8, kernel: [6]}
  - add: {with: [enc], crop: centre}
""",
    3: """\
input: [9, 20, 21, 4]
layers:
  - conv: {filters: 8, kernel: 3, name: enc}
  - maxpool: {size: 2}
  - conv: {filters: 8, kernel: [1, 3, 3]}
  - upsample: {scale: 2}
  - concat: {with: [enc], crop: centre}
""",
}


def test_keras_crops_a_1d_skip_with_cropping1d() -> None:
    # 62 cut to 58: 2 either side; 62 cut to 53: 4 before, 5 after
    assert found(MERGES[1], "keras") == [
        ("5", "Keras: Concatenate does not crop: cut 'enc' (62) with Cropping1D(2) in front"),
        ("7", "Keras: Add does not crop: cut 'enc' (62) with Cropping1D((4, 5)) in front"),
    ]
    assert found(MERGES[1], "pytorch") == []


def test_keras_crops_a_3d_skip_with_cropping3d() -> None:
    # 7 x 18 x 19 cut to 6 x 14 x 14: depth (0, 1), height (2, 2), width (2, 3)
    assert found(MERGES[3], "keras") == [
        ("5", "Keras: Concatenate does not crop: cut 'enc' (7 x 18 x 19) with Cropping3D(((0, 1), (2, 2), (2, 3))) in "
         "front"),
    ]  # fmt: skip


def test_keras_crops_evenly_with_one_number_per_axis() -> None:
    text = MERGES[3].replace("input: [9, 20, 21, 4]", "input: [10, 20, 20, 4]")
    # 8 x 18 x 18 cut to 8 x 14 x 14
    assert found(text, "keras") == [
        ("5", "Keras: Concatenate does not crop: cut 'enc' (8 x 18 x 18) with Cropping3D((0, 2, 2)) in front")
    ]


def test_a_folded_merge_names_the_cropping_layer_of_its_rank() -> None:
    text = (
        "input: [12, 3]\nlayers:\n  - conv: {filters: 4, kernel: 1, name: skip}\n  - repeat:\n      times: 2\n"
        "      layers:\n        - conv: {filters: 4, kernel: 3}\n        - concat: {with: [skip], crop: centre}\n"
    )
    spec = load(text)
    folded = [d for d in check(spec, analyse(spec, depth=0), [], "keras") if d.severity == "error"]
    assert [(d.layer, d.message) for d in folded] == [
        ("2.2", "Keras: Concatenate does not crop: cut each larger input with Cropping1D in front")
    ]


def test_keras_notes_a_broadcast_multiply_at_rank_1() -> None:
    text = "input: [16, 4]\nlayers:\n  - globalavgpool: {name: g}\n  - conv: {filters: 4, kernel: 1, from: input}\n"
    text += "  - multiply: {with: [g]}\n"
    assert found(text, "keras", "note") == [
        (
            "3",
            "Keras: Multiply broadcasts 'g' (1 x 4) to 16 x 4: its documentation asks for inputs of one shape, but it "
            "stretches an axis of 1 as numpy does (as keras.applications' squeeze-and-excitation blocks do)",
        )
    ]


@pytest.mark.parametrize(
    ("volume", "layers", "note"),
    [
        pytest.param(
            "[16, 3]",
            ["conv: {filters: 4, kernel: 9}", "conv: {filters: 4, kernel: 8}"],
            "layer 2 (conv): the receptive field (16 pixels) is as large as the 16 input from here on",
            id="1d",
        ),
        pytest.param(
            "[4, 8, 8, 3]",
            [
                "conv: {filters: 4, kernel: [3, 5, 5], padding: [0, 0, 1, 1, 1, 1]}",
                "conv: {filters: 4, kernel: [2, 6, 6]}",
            ],
            "layer 2 (conv): the receptive field (4 x 10 x 10 pixels) is as large as the 4 x 8 x 8 input from here on",
            id="3d",
        ),
    ],
)
def test_the_whole_input_note_gives_the_input_at_its_rank(
    tmp_path: Path, volume: str, layers: list[str], note: str
) -> None:
    text = f"input: {volume}\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)
    code, _, err = run(tmp_path, text, "-v")
    assert code == 0
    assert f": note: {note}\n" in err


def test_a_3d_tensor_past_int64_cannot_be_built(tmp_path: Path) -> None:
    # 2**62 input elements, within int64; 8 filters make 2**65 outputs
    text = f"input: [{2**21}, {2**21}, {2**20}, 1]\nlayers:\n  - conv: {{filters: 8, kernel: 1}}\n"
    code, _, err = run(tmp_path, text, "--target", "pytorch")
    assert code == 1
    assert err.endswith(
        ":3:5: error: layer 1 (conv): PyTorch: its output of 36,893,488,147,419,103,232 elements is more than a "
        "tensor holds (9,223,372,036,854,775,807)\n"
    )
    assert "the input of" not in err


def test_the_rules_hold_for_pytorch_itself() -> None:
    """What the PyTorch rules say of ranks 1 and 3, as the installed PyTorch does it."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    for conv in (nn.Conv1d, nn.Conv3d):
        with pytest.raises(ValueError, match="strided"):
            conv(2, 2, 3, stride=2, padding="same")
    assert nn.Upsample(scale_factor=2, mode="linear")(torch.zeros(1, 2, 5)).shape == (1, 2, 10)
    assert nn.Upsample(scale_factor=2, mode="trilinear")(torch.zeros(1, 2, 3, 4, 5)).shape == (1, 2, 6, 8, 10)
    with pytest.raises((ValueError, NotImplementedError)):
        nn.Upsample(scale_factor=2, mode="bilinear")(torch.zeros(1, 2, 5))
    # a negative nn.ZeroPad1d / nn.ZeroPad3d crops, as the transposed conv's hint has it
    assert nn.ZeroPad1d((0, -1))(torch.zeros(1, 2, 5)).shape == (1, 2, 4)
    assert nn.ZeroPad3d((0, -1, 0, -1, 0, -1))(torch.zeros(1, 2, 5, 5, 5)).shape == (1, 2, 4, 4, 4)
