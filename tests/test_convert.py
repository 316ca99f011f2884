"""Conv <-> fully connected: `convert`, sliding a classifier over a larger image, and `summary --view fc`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cnncalc.cli import cli
from cnncalc.convert import CannotConvert, to_conv
from cnncalc.engine import analyse
from cnncalc.loader import load, load_file
from cnncalc.spec import Volume

ROOT = Path(__file__).resolve().parent.parent
VGG16 = str(ROOT / "specs" / "vgg16.yaml")
SMALL = """\
name: small classifier
input: [16, 16, 3]
layers:
  - conv: {filters: 8, kernel: 3, activation: relu}
  - maxpool: {size: 2}
  - flatten
  - dense: {units: 10, activation: relu, name: hidden}
  - dropout
  - dense: {units: 5, name: scores}
"""


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def converted(tmp_path: Path, source: str = VGG16, target: str = "conv") -> str:
    path = tmp_path / f"converted-{target}.yaml"
    code, out, err = run("convert", source, "--to", target, "-o", str(path))
    assert (code, out) == (0, ""), err
    return str(path)


def totals(path: str, *args: str) -> dict:  # type: ignore[type-arg]
    code, out, _ = run("summary", path, "--format", "json", *args)
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def test_vgg16_fc6_as_a_7x7_conv_keeps_its_parameters(tmp_path: Path) -> None:
    path = converted(tmp_path)
    data = totals(path)
    fc6 = next(layer for layer in data["layers"] if layer["name"] == "fc6")
    # 4096 * (7*7*512 + 1), the dense fc6's count
    assert (fc6["kind"], fc6["params"]) == ("conv", 4096 * (7 * 7 * 512 + 1)) == ("conv", 102_764_544)
    original = totals(VGG16)
    assert {k: data["totals"][k] for k in ("params", "macs", "output")} == {
        k: original["totals"][k] for k in ("params", "macs", "output")
    }
    assert data["layers"][-1]["receptive_field"][0] >= 224  # the last layer sees the whole input
    assert not any(layer["kind"] in ("dense", "flatten") for layer in data["layers"])


def test_the_converted_spec_says_where_each_layer_came_from(tmp_path: Path) -> None:
    text = Path(converted(tmp_path)).read_text()
    assert "# converted by `cnncalc convert --to conv`" in text
    assert "conv: {filters: 4096, kernel: 7, activation: relu, name: fc6}  # was layer 13 (dense fc6), after the " \
        "flatten of 7 x 7 x 512 (layer 12)" in text  # fmt: skip
    assert "# was layer 15 (dense fc7): a dense layer on a vector is a 1 x 1 conv" in text


def test_sliding_the_converted_vgg16_over_a_larger_image(tmp_path: Path) -> None:
    path = converted(tmp_path)
    data = totals(path, "--input", "384x384x3")
    assert data["totals"]["output"] == [6, 6, 1000]
    sliding = data["sliding"]
    # 36 positions, windows of the receptive field, a jump apart, from the effective padding on
    assert (sliding["positions"], sliding["window"], sliding["step"], sliding["offset"]) == (
        [6, 6], [404, 404], [32, 32], [-90, -90],
    )  # fmt: skip
    assert sliding["macs_all_crops"] == 36 * totals(VGG16)["totals"]["macs"]
    assert sliding["macs_one_pass"] == data["totals"]["macs"] < sliding["macs_all_crops"]
    code, out, _ = run("summary", path, "--input", "384x384x3", "--depth", "0")
    assert code == 0
    assert "sliding: the classifier made for 224 x 224 runs at 6 x 6 = 36 positions in one pass" in out
    assert "for 36 separate 224 x 224 crops" in out


def test_round_trip_gives_the_same_summary(tmp_path: Path) -> None:
    back = converted(tmp_path, converted(tmp_path), "dense")
    assert totals(back)["totals"] == totals(VGG16)["totals"]
    # all but the adaptive pool, the identity at 224 x 224, which the conversion to conv dropped
    kept = [row["output"] for row in totals(VGG16)["layers"] if row["kind"] != "adaptiveavgpool"]
    assert [row["output"] for row in totals(back)["layers"]] == kept


def test_to_dense_says_what_it_kept(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(
        "input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n  - conv: {filters: 10, kernel: 6}\n"
    )
    code, out, err = run("convert", str(spec), "--to", "dense")
    assert code == 0
    assert "layer 1 (conv): kept as a conv: its 3 x 3 filter does not cover its 8 x 8 input" in err
    assert "- flatten  # for layer 2 (conv): its 6 x 6 filter covered the whole 6 x 6 x 4 input" in out
    assert "- dense: {units: 10}  # was layer 2 (conv)" in out


def test_a_global_pool_cannot_be_carried_over(tmp_path: Path) -> None:
    resnet = str(ROOT / "specs" / "resnet18.yaml")
    code, out, err = run("convert", resnet, "--to", "conv")
    assert (code, out) == (2, "")
    assert f"{resnet}:" in err
    assert (
        "error: layer 12 (globalavgpool): cannot convert to conv: globalavgpool pools whatever map it is given" in err
    )


def test_an_adaptive_pool_that_is_the_identity_is_dropped_so_that_the_network_slides(tmp_path: Path) -> None:
    path = tmp_path / "vgg16-conv.yaml"
    code, out, err = run("convert", VGG16, "--to", "conv", "-o", str(path))
    assert (code, out) == (0, "")
    assert (
        "note: layer 11 (adaptiveavgpool avgpool): dropped: at the spec's input it leaves its 7 x 7 map as it is, and "
        "kept it would bring a larger input down to 7 x 7: the converted network could not slide"
    ) in err
    assert "adaptiveavgpool" not in path.read_text()
    # kept, it would have pooled the 12 x 12 x 512 map of a 384 x 384 input to 7 x 7: one position, not 6 x 6
    assert totals(str(path), "--input", "384x384x3")["totals"]["output"] == [6, 6, 1000]
    assert totals(VGG16, "--input", "384x384x3")["totals"]["output"] == [1, 1, 1000]


NETWORK = """\
input: [16, 16, 3]
layers:
  - conv: {filters: 8, kernel: 3, padding: same}
  - maxpool: {size: 2}
  - {pool}
  - flatten
  - dense: {units: 10}
"""


@pytest.mark.parametrize(
    ("pool", "message"),
    [
        pytest.param(
            "adaptiveavgpool: {size: 4}",
            "adaptiveavgpool pools whatever map it is given to 4 x 4, so the converted network could not slide over a "
            "larger input; replace it by an avgpool of size [2, 2], which gives the same here",
            id="adaptive-even",
        ),
        pytest.param(
            "adaptivemaxpool: {size: 3}",
            "adaptivemaxpool pools whatever map it is given to 3 x 3, so the converted network could not slide over a "
            "larger input; replace it by an avgpool or maxpool of a fixed size first",
            id="adaptive-uneven",
        ),
        pytest.param(
            "upsample: {size: 12}",
            "upsample resizes whatever map it is given to 12 x 12, so the converted network could not slide over a "
            "larger input; give it a fixed scale instead",
            id="upsample-to-a-size",
        ),
        pytest.param(
            "crop: {size: 6}",
            "crop crops whatever map it is given to 6 x 6, so the converted network could not slide over a larger "
            "input; give it a fixed sides instead",
            id="crop-to-a-size",
        ),
    ],
)
def test_a_layer_to_a_fixed_size_before_the_classifier_cannot_be_carried_over(pool: str, message: str) -> None:
    code, out, err = run("convert", "-", "--to", "conv", input=NETWORK.replace("{pool}", pool))
    assert (code, out) == (2, "")
    assert f"error: layer 3 ({pool.split(':')[0]}): cannot convert to conv: {message}" in err


@pytest.mark.parametrize(
    "layer",
    [
        "adaptivemaxpool: {size: 8}",
        "upsample: {size: 8, mode: bilinear}",
        "crop: {size: [8, 8]}",
    ],
)
def test_a_layer_to_a_fixed_size_that_is_the_identity_is_dropped(layer: str) -> None:
    spec = NETWORK.replace("{pool}", layer)
    code, out, err = run("convert", "-", "--to", "conv", input=spec)
    assert code == 0, err
    kind = layer.split(":")[0]
    assert f"note: layer 3 ({kind}): dropped: at the spec's input it leaves its 8 x 8 map as it is" in err
    assert kind not in out
    converted_spec = load(out)
    assert analyse(converted_spec).totals.output == analyse(load(spec)).totals.output == (1, 1, 10)


def test_the_up_sampling_kinds_stay_as_they_are() -> None:
    spec = """\
input: [8, 8, 3]
layers:
  - convtranspose: {filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1}
  - upsample: {scale: 2, mode: bilinear}
  - crop: {sides: [2, 2, 2, 2]}
  - adaptiveavgpool: {size: 4}
  - globalavgpool
"""
    # no dense layer after them: nothing to slide, each kept as it is, the adaptive pool too
    code, out, err = run("convert", "-", "--to", "conv", input=spec)
    assert (code, err) == (0, "note: nothing to convert: <stdin> has no dense layer; written as it is\n")
    assert [layer.kind for layer in load(out).layers] == [
        "convtranspose", "upsample", "crop", "adaptiveavgpool", "globalavgpool",
    ]  # fmt: skip
    code, back, err = run("convert", "-", "--to", "dense", input=out)
    nothing = "note: nothing to convert: <stdin> has no conv whose filter covers its whole input; written as it is\n"
    assert (code, err) == (0, nothing)
    assert [unplaced(layer) for layer in load(back).layers] == [unplaced(layer) for layer in load(spec).layers]


def unplaced(layer: Any) -> Any:
    """A layer record without where its file wrote it."""
    return layer._replace(loc=None, option_locs={})


def test_the_up_sampling_kinds_before_a_classifier_convert_with_it() -> None:
    spec = """\
input: [8, 8, 3]
layers:
  - convtranspose: {filters: 4, kernel: 3, stride: 2, padding: same}
  - upsample: {scale: 2}
  - crop: {sides: [1, 1, 1, 1]}
  - maxpool: {size: 2}
  - flatten
  - dense: {units: 5}
"""
    code, out, err = run("convert", "-", "--to", "conv", input=spec)
    assert (code, err) == (0, "")
    converted_spec = load(out)
    assert [layer.kind for layer in converted_spec.layers] == ["convtranspose", "upsample", "crop", "maxpool", "conv"]
    before, after = analyse(load(spec)).totals, analyse(converted_spec).totals
    assert (after.params, after.macs, after.output) == (before.params, before.macs, before.output)
    # on a larger input the classifier slides: 2 more input pixels, 8 more after the up-sampling, 4 after the pool
    wider = analyse(converted_spec._replace(input=Volume(10, 10, converted_spec.input.c)))
    assert wider.totals.output == (5, 5, 5)


@pytest.mark.parametrize(
    ("input_volume", "kernel", "filters", "connections", "params"),
    [
        # the lecture: a 3 x 3 input, a 2 x 2 filter, 4 outputs: 16 weights and 4 biases unshared, 4 + 1 shared
        pytest.param("3x3x1", 2, 1, 4 * 4, 2 * 2 + 1, id="lecture-2x2-on-3x3"),
        # a 3 x 3 filter over the 3 x 3 input: one dense neuron per filter
        pytest.param("3x3x1", 3, 1, 9, 9 + 1, id="one-neuron"),
        pytest.param("3x3x1", 3, 2, 2 * 9, 2 * (9 + 1), id="two-neurons"),
    ],
)
def test_view_fc_numbers(input_volume: str, kernel: int, filters: int, connections: int, params: int) -> None:
    h, w, c = (int(n) for n in input_volume.split("x"))
    text = f"input: [{h}, {w}, {c}]\nlayers:\n  - conv: {{filters: {filters}, kernel: {kernel}}}\n"
    _, out, _ = run("summary", "-", "--format", "json", input=text)
    (layer,) = json.loads(out)["layers"]
    outputs = (h - kernel + 1) * (w - kernel + 1) * filters
    assert (layer["connections"], layer["params"]) == (connections, params)
    # (h w c)(h' w' K) weights + h' w' K biases
    assert layer["dense_equivalent_params"] == h * w * c * outputs + outputs


def test_view_fc_table_sums_the_savings() -> None:
    code, out, _ = run("summary", str(ROOT / "specs" / "lenet5.yaml"), "--view", "fc")
    assert code == 0
    assert "1 │ conv C1      │ 28 x 28 x 6  │    156 │        4,821,600 │     117,600" in out
    assert "convolutions: 2,572 params for 357,600 connections; dense layers joining the same volumes would need" in out


def test_with_torch_the_converted_network_computes_the_same_and_slides() -> None:
    torch = pytest.importorskip("torch")
    from torch_reference import build

    spec = load(SMALL)
    conv_spec = to_conv(spec, analyse(spec)).spec
    original, convolutional = build(spec), build(conv_spec)
    torch.manual_seed(0)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        for modules in (original, convolutional):  # materialise the lazy modules
            y = x
            for module in modules:
                y = module(y)
        # the layers before the flatten are the same modules: copy them; each dense weight becomes a conv kernel
        convolutional[0].load_state_dict(original[0].state_dict())
        for dense, conv, shape in (
            (original[3], convolutional[2], (10, 8, 7, 7)),
            (original[5], convolutional[4], (5, 10, 1, 1)),
        ):
            linear = next(m for m in dense.modules() if isinstance(m, torch.nn.Linear))
            kernel = next(m for m in conv.modules() if isinstance(m, torch.nn.Conv2d))
            kernel.weight.copy_(linear.weight.view(shape))  # PyTorch flattens channels first: (c, h, w)
            kernel.bias.copy_(linear.bias)

        def apply(modules: list[Any], image: Any) -> Any:
            for module in modules:
                image = module(image)
            return image

        assert torch.allclose(apply(original, x), apply(convolutional, x), atol=1e-5)
        # on a 24 x 24 image the conv net answers at 5 x 5 positions, 2 pixels apart: each the classifier on a crop
        large = torch.randn(1, 3, 24, 24)
        scores = apply(convolutional, large)
        assert scores.shape == (1, 5, 5, 5)
        for i in range(5):
            for j in range(5):
                crop = large[:, :, 2 * i : 2 * i + 16, 2 * j : 2 * j + 16]
                assert torch.allclose(apply(original, crop)[0, :, 0, 0], scores[0, :, i, j], atol=1e-5)


def test_every_spec_without_global_pooling_converts_and_keeps_its_totals(tmp_path: Path) -> None:
    for path in sorted((ROOT / "specs").glob("*.yaml")):
        spec = load_file(str(path))
        report = analyse(spec)
        try:
            result = to_conv(spec, report)
        except CannotConvert as exc:
            assert "whatever map it is given" in str(exc) or "inside a block" in str(exc), (path, exc)
            continue
        again = analyse(result.spec)
        assert (again.totals.params, again.totals.macs, again.totals.output) == (
            report.totals.params, report.totals.macs, report.totals.output,
        ), path  # fmt: skip


@pytest.mark.parametrize(
    "name",
    ["\U00010000", "caf\u00e9", "two\nlines: here", "escape \x1b]0;title\x07", "next\x85line", "del\x7f", "no", "3"],
)
def test_a_name_of_any_text_is_written_so_that_it_reads_back(tmp_path: Path, name: str) -> None:
    # a name beyond the BMP was written as JSON escapes it (`\ud800\udc00`, which YAML refuses); a line feed in
    # a layer's name went raw into the comment after it, cutting the file in two
    quoted = yaml.safe_dump(name, default_style='"', width=1000).strip()
    source = tmp_path / "net.yaml"
    source.write_text(
        f"name: {quoted}\ninput: [4, 4, 2]\nlayers:\n  - flatten\n  - dense: {{units: 3, name: {quoted}}}\n"
    )
    code, out, _ = run("convert", str(source), "--to", "conv")
    assert code == 0
    assert all(line.count("#") <= 1 for line in out.splitlines())
    spec = load(out)
    assert spec.name == f"{name} (fully convolutional)"
    assert spec.layers[-1].name == name  # the conv that was the dense layer


CONVS_ONLY = """\
name: convs only
input: [8, 8, 3]
layers:
  - conv: {filters: 4, kernel: 3}
  - maxpool: {size: 2}
"""


@pytest.mark.parametrize(
    ("target", "why"),
    [
        pytest.param("conv", "has no dense layer", id="to-conv-without-a-dense-layer"),
        pytest.param("dense", "has no conv whose filter covers its whole input", id="to-dense-with-small-filters"),
    ],
)
def test_nothing_to_convert_is_said_and_the_spec_keeps_its_name(tmp_path: Path, target: str, why: str) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(CONVS_ONLY)
    code, out, err = run("convert", str(spec), "--to", target)
    assert code == 0
    assert err.splitlines()[-1] == f"note: nothing to convert: {spec} {why}; written as it is"
    assert "fully convolutional" not in out
    assert load(out).name == "convs only"
    assert [unplaced(layer) for layer in load(out).layers] == [unplaced(layer) for layer in load(CONVS_ONLY).layers]


def test_a_fully_convolutional_spec_keeps_its_name_when_nothing_goes_back_to_dense() -> None:
    spec = "name: seg (fully convolutional)\ninput: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n"
    code, out, err = run("convert", "-", "--to", "dense", input=spec)
    assert code == 0
    assert load(out).name == "seg (fully convolutional)"
    assert "note: nothing to convert: <stdin> has no conv whose filter covers its whole input" in err


def test_the_core_says_whether_anything_changed() -> None:
    small = load(SMALL)
    assert to_conv(small, analyse(small)).unchanged == ""
    convs = load(CONVS_ONLY)
    assert to_conv(convs, analyse(convs)).unchanged == "has no dense layer"
