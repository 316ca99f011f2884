"""Blocks recovered from an imported graph's flat layers (`onnx_blocks`), worked by hand: forks that meet again
as residuals and branches, runs as repeats, and the skips that must stay named."""

from __future__ import annotations

from cnncalc.engine import analyse
from cnncalc.loader import load
from cnncalc.onnx_blocks import recovered
from cnncalc.onnx_import import Layer
from cnncalc.onnx_spec import layer_lines, read_by


def conv(name: str, filters: int = 8, source: str | None = None) -> Layer:
    return Layer("conv", {"filters": filters, "kernel": 3, "padding": 1}, name, source)


def leaf(kind: str, name: str, source: str | None = None) -> Layer:
    return Layer(kind, {}, name, source)


def merge(kind: str, name: str, merged: tuple[str, ...], source: str | None = None) -> Layer:
    return Layer(kind, {}, name, source, merged)


def text(layers: list[Layer]) -> str:
    """The spec cnncalc computes from them, on a 16 x 16 x 8 input."""
    return "input: [16, 16, 8]\nlayers:\n" + "\n".join(layer_lines(layers, "  ", read_by(layers))) + "\n"


def same_numbers(flat: list[Layer], blocks: list[Layer]) -> None:
    before, after = analyse(load(text(flat))).totals, analyse(load(text(blocks))).totals
    assert before._replace(activation_elements=0) == after._replace(activation_elements=0)


def test_an_identity_skip_is_a_residual_with_its_activation() -> None:
    flat = [conv("stem"), conv("a"), leaf("relu", "b"), conv("c"), merge("add", "sum", ("stem",)), leaf("relu", "out")]
    (stem, block) = recovered(flat)
    assert stem.name == "stem" and block.kind == "residual"
    assert [layer.name for layer in block.layers] == ["a", "b", "c"] and block.shortcut == ()
    assert block.options == {"activation": "relu"} and block.name == "out"
    same_numbers(flat, [stem, block])


def test_a_projection_shortcut_is_the_shorter_path() -> None:
    flat = [
        conv("stem"),
        conv("a"),
        leaf("batchnorm", "b"),
        conv("c"),
        conv("proj", source="stem"),
        merge("add", "sum", ("c",)),
    ]
    (_, block) = recovered(flat)
    assert [layer.name for layer in block.layers] == ["a", "b", "c"]
    assert [(layer.name, layer.source) for layer in block.shortcut] == [("proj", None)]
    same_numbers(flat, recovered(flat))


def test_paths_into_a_concat_are_its_branches_in_the_concats_order() -> None:
    flat = [
        conv("stem"),
        conv("one", 4),
        conv("two", 6, source="stem"),
        Layer("maxpool", {"size": 3, "stride": 1, "padding": 1}, "three", "stem"),
        merge("concat", "joined", ("one", "three"), source="two"),
    ]
    (_, block) = recovered(flat)
    assert block.kind == "concat" and block.merged == ()
    assert [[layer.name for layer in branch] for branch in block.branches] == [["two"], ["one"], ["three"]]
    assert all(branch[0].source is None for branch in block.branches)
    same_numbers(flat, recovered(flat))


def test_a_gate_multiplied_with_its_input_is_a_branch_and_the_identity() -> None:
    flat = [
        conv("x"),
        leaf("globalavgpool", "pool"),
        Layer("conv", {"filters": 8, "kernel": 1, "activation": "sigmoid"}, "gate", None),
        merge("multiply", "scaled", ("x",)),
    ]
    (_, block) = recovered(flat)
    assert block.kind == "multiply" and [len(branch) for branch in block.branches] == [2, 0]
    same_numbers(flat, recovered(flat))


def test_a_layer_read_from_outside_keeps_the_paths_apart() -> None:
    flat = [
        conv("stem"),
        conv("a"),
        conv("b"),
        merge("add", "sum", ("stem",)),
        merge("concat", "later", ("a",)),  # reads `a`, inside the would-be residual
    ]
    assert [layer.kind for layer in recovered(flat)] == ["conv", "conv", "conv", "add", "concat"]
    same_numbers(flat, recovered(flat))


def test_runs_become_repeats_the_shorter_inside_the_longer() -> None:
    stage = [leaf("maxpool", "p"), conv("c1", 16), conv("c2", 16), conv("c3", 16)]
    flat = [
        Layer(
            layer.kind, {**layer.options, **({"size": 2} if layer.kind == "maxpool" else {})}, f"{layer.name}{n}", None
        )
        for n in (1, 2)
        for layer in stage
    ]
    (block,) = recovered(flat)
    assert (block.kind, block.options) == ("repeat", {"times": 2})
    pool, inner = block.layers
    assert pool.kind == "maxpool" and (inner.kind, inner.options) == ("repeat", {"times": 3})
    same_numbers(flat, [block])


def test_a_run_whose_middle_is_read_by_name_stays_as_it_is() -> None:
    flat = [conv("a"), conv("b"), conv("c"), conv("d", source="b")]
    assert [layer.name for layer in recovered(flat)] == ["a", "b", "c", "d"]
