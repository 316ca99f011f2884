"""cnncalc against PyTorch on generated networks: what one computes, the other must find by running it.

Each case is drawn at a rank, 1, 2 or 3 spatial axes (an input `[L, C]`, `[H, W, C]` or `[D, H, W, C]`; 3-D inputs
a few positions wide, to keep the forward passes small), and Hypothesis writes it as YAML text (the options in every
form the spec allows: `3`, or a list of one per axis; padding as an int, one per axis, before and after per axis,
`same` or `valid`; defaults left out or written). cnncalc reads it with its loader and computes it with its engine,
and `torch_reference` builds the same network of the rank's modules and runs a real forward pass. For every row,
blocks' inner rows included, the output volume, the parameters (learned, and batchnorm's running statistics), the
MACs (from the real weights: one MAC per weight per output position) and the padding applied must agree; where
PyTorch refuses a network (a kernel larger than its input, groups that do not divide, an add or a concat of unequal
shapes), cnncalc must refuse it too, at the same row, and where cnncalc refuses, PyTorch must. Two rules PyTorch
cannot show are checked as the README states them: a dense layer needs a vector input, 1 x ... x 1 x n (PyTorch's
linear layer would flatten anything), and a pool's padding may be at most half its window on every side (PyTorch
pads a pool's two sides alike, so one-sided padding goes in front of it, where nothing limits it).

The decoder layers (transposed convs, upsampling, crops, adaptive pools) are drawn alone and in the stacks. Two
disagreements are known and counted apart: a transposed conv's `same` where Keras would pad (a kernel narrower
than the stride) or take output_padding, which PyTorch has no module for and cnncalc refuses; and a network whose
windows repeat only after more than MAX_PERIOD outputs, which PyTorch runs and cnncalc refuses.

The receptive field is measured, not computed: with every weight positive and float64, the gradient of one
output with respect to the input is non-zero exactly on the input pixels that output sees, so its extent along
each axis is r, its first pixel -P + o j for output o, and the next output's first pixel j further on. That holds
where every output sees alike (zeropads, crops and transposed convs at stride 1 among the layers); the windows of
decoders, output by output, are measured in test_gradients_decoders.py.

The counts of cases are the default profile's (tests/conftest.py), the ranks drawn among them (each case's rank is
counted in Hypothesis's statistics: `--hypothesis-show-statistics`); `--hypothesis-profile=thorough` runs ten times
as many.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")

import torch
import torch_reference  # needs torch

from cnncalc.diagnostics import SpecError
from cnncalc.engine import analyse
from cnncalc.fields import MAX_PERIOD
from cnncalc.kinds import KINDS, layer_tree, rebuilt
from cnncalc.loader import load
from cnncalc.report import Report, walk
from cnncalc.spec import ACTIVATIONS, RANKS, Layer, PerAxis, Pool, Sides, Spec, Volume
from cnncalc.spec import vector as vector_of


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Tensors of a few thousand numbers: one thread is ten times faster than waking a pool of them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def examples(n: int) -> settings:
    """`n` cases in the default profile, ten times as many in the thorough one."""
    profile = settings.default
    assert profile is not None
    return settings(max_examples=n * profile.max_examples // 100)


# -- writing a network as YAML ------------------------------------------------------------------------


class L(NamedTuple):
    """A layer as the spec writes it: its kind and its options, in the order written.

    Option values are YAML text already (`3`, `[3, 5]`, `same`, `true`), except a block's layer lists: `layers`
    and `shortcut` hold Ls, `branches` lists of them.
    """

    kind: str
    options: dict[str, Any]
    bare: bool = False  # written `- relu` rather than `- relu: {}`


def lists(kind: str) -> dict[str, str]:
    """The options of `kind` that hold layers (none for a leaf), and the list each is: `layers`, `branches`..."""
    return {option.name: option.value for option in KINDS[kind].lists}


def flow(layer: L) -> str:
    """One layer in YAML's flow style: `{conv: {filters: 8, kernel: 3}}`, or its kind alone."""
    if layer.bare and not layer.options:
        return layer.kind
    parts = []
    held = lists(layer.kind)
    for key, value in layer.options.items():
        if held.get(key) == "branches":
            value = "[" + ", ".join("[" + ", ".join(flow(inner) for inner in branch) + "]" for branch in value) + "]"
        elif key in held:
            value = "[" + ", ".join(flow(inner) for inner in value) + "]"
        parts.append(f"{key}: {value}")
    return "{" + layer.kind + ": {" + ", ".join(parts) + "}}"


def block_lines(layers: Sequence[L], indent: int) -> list[str]:
    """Layers in YAML's block style, each block's options and lists on lines of their own."""
    pad = " " * indent
    lines = []
    for layer in layers:
        held = lists(layer.kind)
        if not held:
            lines.append(f"{pad}- {flow(layer)}")
            continue
        lines.append(f"{pad}- {layer.kind}:")
        for key, value in layer.options.items():
            if held.get(key) == "branches":
                lines.append(f"{pad}    {key}:")
                for branch in value:
                    lines += [f"{pad}      -", *block_lines(branch, indent + 8)] if branch else [f"{pad}      - []"]
            elif key in held and value:
                lines += [f"{pad}    {key}:", *block_lines(value, indent + 6)]
            elif key in held:
                lines.append(f"{pad}    {key}: []")
            else:
                lines.append(f"{pad}    {key}: {value}")
    return lines


def spec_text(volume: Volume, layers: Sequence[L], block_style: bool = True) -> str:
    if block_style:
        body = block_lines(layers, 2)
    else:
        body = ["  - " + flow(layer) for layer in layers]
    return "\n".join([f"input: {listed(volume)}", "layers:", *body]) + "\n"


# -- option values, in every form the spec takes ------------------------------------------------------

ranks = st.sampled_from(RANKS)
# per rank, the largest side of a single layer's input, of a decoder layer's, and of a stack's; the widest kernel
# or pool window; and the side past which a stack up-samples no further: 3-D maps stay a few thousand positions
SIDE = {1: 40, 2: 40, 3: 8}
DECODER_SIDE = {1: 24, 2: 24, 3: 6}
STACK_SIDE = {1: 40, 2: 40, 3: 10}
KERNEL = {1: 7, 2: 7, 3: 4}
LARGE = {1: 48, 2: 48, 3: 8}


def listed(values: Sequence[int]) -> str:
    """A YAML list of ints: `[3, 5]`."""
    return f"[{', '.join(map(str, values))}]"


@st.composite
def axes_text(draw: st.DrawFn, rank: int, low: int, high: int) -> tuple[str, PerAxis]:
    """An int for every axis or a list of one per axis, and the values it means, one per axis."""
    if draw(st.booleans()):
        size = draw(st.integers(low, high))
        return (listed([size] * rank) if draw(st.booleans()) else str(size)), (size,) * rank
    sizes = tuple(draw(st.integers(low, high)) for _ in range(rank))
    return listed(sizes), sizes


@st.composite
def padding_text(draw: st.DrawFn, rank: int, high: int) -> tuple[str, str | Sides]:
    """`valid`, `same`, p, one per axis ([ph, pw] in 2-D) or before and after per axis ([top, bottom, left, right]),
    and the padding it means: the sides, before and after per axis."""
    form = draw(st.sampled_from(["valid", "same", "int", "per_axis", "sides"]))
    if form in ("valid", "same"):
        return form, form
    if form == "int":
        p = draw(st.integers(0, high))
        return str(p), (p,) * 2 * rank
    if form == "per_axis":
        per_axis = [draw(st.integers(0, high)) for _ in range(rank)]
        return listed(per_axis), tuple(p for p in per_axis for _ in range(2))
    sides = tuple(draw(st.integers(0, high)) for _ in range(2 * rank))
    return listed(sides), sides


def one_sided(padding: str | Sides) -> bool:
    """Whether padding differs on the two sides of an axis."""
    return not isinstance(padding, str) and padding[::2] != padding[1::2]


def maybe_name(draw: st.DrawFn, options: dict[str, Any]) -> None:
    if draw(st.integers(0, 9)) == 0:
        options["name"] = draw(st.sampled_from(["c1", "stem", "'block 2'", '"x.y"', "pool-3"]))


activation_text = st.sampled_from([*ACTIVATIONS, "none"])


@st.composite
def conv_layer(
    draw: st.DrawFn, channels: int, rank: int, filters: int | None = None, max_kernel: int = 7, max_stride: int = 4
) -> L:
    """A conv with any of its options, each left out or written in one of its forms."""
    options: dict[str, Any] = {}
    filters = filters or draw(st.sampled_from([1, 2, 3, 4, 6, 8, 12, 16]))
    options["filters"] = filters
    options["kernel"], _ = draw(axes_text(rank, 1, max_kernel))
    if draw(st.booleans()):
        options["stride"], _ = draw(axes_text(rank, 1, max_stride))
    if draw(st.booleans()):
        options["padding"], _ = draw(padding_text(rank, 4))
    if draw(st.integers(0, 2)) == 0:
        options["dilation"], _ = draw(axes_text(rank, 1, 3))
    if draw(st.booleans()):
        divisors = [g for g in range(1, min(channels, filters) + 1) if channels % g == 0 and filters % g == 0]
        # mostly groups that divide, sometimes any: PyTorch refuses the others, and so must cnncalc
        options["groups"] = draw(st.sampled_from(divisors) | st.integers(1, 8))
    if draw(st.booleans()):
        options["bias"] = draw(st.sampled_from(["true", "false"]))
    if draw(st.integers(0, 3)) == 0:
        options["activation"] = draw(activation_text)
    maybe_name(draw, options)
    keys = list(options)
    order = draw(st.permutations(keys)) if draw(st.integers(0, 4)) == 0 else keys
    return L("conv", {key: options[key] for key in order})


@st.composite
def pool_layer(draw: st.DrawFn, rank: int, max_size: int = 6, max_stride: int = 4, by_rule: bool = True) -> L:
    """A max or average pool; `ceil` with padding that differs on the two sides of an axis is left out, as
    PyTorch has no way to build it (it pads a pool's two sides alike). Without `by_rule`, only pools PyTorch can
    build, or refuses itself: no `ceil` with `same`, no one-sided padding of more than half the window (in a
    stack, an earlier layer's error would stop cnncalc before it gets there)."""
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    options: dict[str, Any] = {}
    options["size"], size = draw(axes_text(rank, 1, max_size))
    if draw(st.booleans()):
        options["stride"], _ = draw(axes_text(rank, 1, max_stride))
    padding: str | Sides = "valid"
    if draw(st.booleans()):
        # mostly within half the window, sometimes past it: PyTorch refuses that, and so must cnncalc
        limit = max(size) // 2 + draw(st.sampled_from([0, 0, 0, 1]))
        options["padding"], padding = draw(padding_text(rank, limit))
    asymmetric = one_sided(padding)
    if isinstance(padding, tuple) and asymmetric and not by_rule:
        if any(p > k // 2 for p, k in zip(padding, (k for k in size for _ in range(2)), strict=True)):
            options.pop("padding")
    if draw(st.booleans()):
        ceil = "false" if asymmetric else draw(st.sampled_from(["true", "false"]))
        options["ceil"] = "false" if padding == "same" and not by_rule else ceil
    maybe_name(draw, options)
    return L(kind, options)


@st.composite
def convtranspose_layer(draw: st.DrawFn, channels: int, rank: int, max_kernel: int = 5, max_stride: int = 4) -> L:
    """A transposed conv with any of its options, each left out or written in one of its forms; output_padding
    mostly below the stride or the dilation, now and then not (PyTorch refuses that, and so must cnncalc)."""
    options: dict[str, Any] = {}
    filters = draw(st.sampled_from([1, 2, 3, 4, 6, 8]))
    options["filters"] = filters
    options["kernel"], _ = draw(axes_text(rank, 1, max_kernel))
    stride: PerAxis = (1,) * rank
    dilation: PerAxis = (1,) * rank
    if draw(st.booleans()):
        options["stride"], stride = draw(axes_text(rank, 1, max_stride))
    if draw(st.booleans()):
        # the cut: `same` is Keras's h s, and it needs the kernel at least as wide as the stride, which cnncalc checks
        options["padding"], _ = draw(padding_text(rank, 3))
    if draw(st.integers(0, 2)) == 0:
        options["dilation"], dilation = draw(axes_text(rank, 1, 3))
    if draw(st.integers(0, 2)) == 0:
        limit = max(*stride, *dilation) - 1 + draw(st.sampled_from([0, 0, 0, 1]))
        options["output_padding"], _ = draw(axes_text(rank, 0, limit))
    if draw(st.booleans()):
        divisors = [g for g in range(1, min(channels, filters) + 1) if channels % g == 0 and filters % g == 0]
        options["groups"] = draw(st.sampled_from(divisors) | st.integers(1, 8))
    if draw(st.booleans()):
        options["bias"] = draw(st.sampled_from(["true", "false"]))
    if draw(st.integers(0, 3)) == 0:
        options["activation"] = draw(activation_text)
    maybe_name(draw, options)
    keys = list(options)
    order = draw(st.permutations(keys)) if draw(st.integers(0, 4)) == 0 else keys
    return L("convtranspose", {key: options[key] for key in order})


@st.composite
def upsample_layer(draw: st.DrawFn, side: int, rank: int, max_scale: int = 3) -> L:
    """Nearest or bilinear (linear in 1-D, trilinear in 3-D), by a scale or to any size (a multiple of the input's
    or not), align_corners either way; now and then both a scale and a size, or neither, or align_corners with
    nearest: PyTorch refuses these, and so must cnncalc."""
    options: dict[str, Any] = {}
    given = draw(st.sampled_from(["scale", "scale", "size", "size", "both", "neither"]))
    if given in ("scale", "both"):
        options["scale"], _ = draw(axes_text(rank, 1, max_scale))
    if given in ("size", "both"):
        # mostly a multiple of the side (the windows of sizes that share no factor repeat only after many outputs)
        if draw(st.booleans()):
            options["size"], _ = draw(axes_text(rank, 1, max(1, 2 * side + 3)))
        else:
            options["size"] = str(side * draw(st.integers(1, max_scale)))
    mode = draw(st.sampled_from(["nearest", "bilinear", None]))
    if mode is not None:
        options["mode"] = mode
    if mode == "bilinear" and draw(st.booleans()):
        options["align_corners"] = draw(st.sampled_from(["true", "false"]))
    elif mode != "bilinear" and draw(st.integers(0, 5)) == 0:
        options["align_corners"] = draw(st.sampled_from(["true", "false"]))
    maybe_name(draw, options)
    return L("upsample", options)


@st.composite
def crop_layer(draw: st.DrawFn, side: int, rank: int) -> L:
    """A crop to a size (at an offset, or centred) or by sides; mostly one that fits, now and then one that
    does not, or that gives both sides and a size."""
    options: dict[str, Any] = {}
    form = draw(st.sampled_from(["size", "offset", "sides", "sides", "mixed"]))
    if form in ("size", "offset", "mixed"):
        options["size"], _ = draw(axes_text(rank, 1, max(1, side + draw(st.sampled_from([0, 0, 0, 1])))))
    if form == "offset":
        options["offset"], _ = draw(axes_text(rank, 0, max(0, side // 3)))
    if form in ("sides", "mixed"):
        sides = [draw(st.integers(0, max(1, side // 3))) for _ in range(2 * rank)]
        # p, one per axis ([ph, pw]) or before and after per axis
        options["sides"] = draw(st.sampled_from([str(sides[0]), listed(sides[::2]), listed(sides)]))
    maybe_name(draw, options)
    return L("crop", options)


@st.composite
def adaptive_pool_layer(draw: st.DrawFn, side: int, rank: int) -> L:
    """To any size: dividing the input's or not, smaller or larger."""
    kind = draw(st.sampled_from(["adaptiveavgpool", "adaptivemaxpool"]))
    options: dict[str, Any] = {}
    if draw(st.booleans()):
        options["size"], _ = draw(axes_text(rank, 1, max(1, side + 3)))
    else:  # a divisor of the side, mostly: windows of one size
        options["size"] = str(draw(st.sampled_from([n for n in range(1, side + 1) if side % n == 0])))
    maybe_name(draw, options)
    return L(kind, options)


def leaf(kind: str) -> st.SearchStrategy[L]:
    """A layer without options, written bare or with an empty mapping."""
    return st.sampled_from([L(kind, {}, bare=True), L(kind, {})])


@st.composite
def dense_layer(draw: st.DrawFn) -> L:
    options: dict[str, Any] = {"units": draw(st.integers(1, 32))}
    if draw(st.booleans()):
        options["bias"] = draw(st.sampled_from(["true", "false"]))
    if draw(st.integers(0, 2)) == 0:
        options["activation"] = draw(activation_text)
    maybe_name(draw, options)
    return L("dense", options)


@st.composite
def shape_keeping_layer(draw: st.DrawFn) -> L:
    """A layer that keeps the volume: a norm, a scale, dropout, drop path, an activation, a PReLU, a channel
    shuffle (whose groups may not divide the channels: then both refuse)."""
    norms = ["batchnorm", "layernorm", "groupnorm", "instancenorm", "scale"]
    others = ["dropout", "droppath", "activation", "prelu", "channelshuffle", "squeeze_excite"]
    choice = draw(st.sampled_from([*norms, *others]))
    if choice == "groupnorm":
        return L("groupnorm", {"groups": str(draw(st.sampled_from([1, 2, 3, 4])))})
    if choice == "instancenorm" and draw(st.booleans()):
        return L("instancenorm", {"affine": draw(st.sampled_from(["true", "false"]))})
    if choice == "squeeze_excite":
        options = {"squeeze": str(draw(st.integers(1, 6)))}
        if draw(st.booleans()):
            options["activation"] = draw(activation_text)
        if draw(st.booleans()):
            options["gate"] = draw(st.sampled_from(["sigmoid", "hardsigmoid"]))
        return L("squeeze_excite", options)
    if choice in ("dropout", "droppath"):
        return L(choice, {"rate": draw(st.sampled_from(["0.1", "0.5", "0", "0.25"]))})
    if choice == "activation":
        return draw(st.sampled_from(ACTIVATIONS).flatmap(leaf))
    if choice == "prelu" and draw(st.booleans()):
        return L("prelu", {"per_channel": draw(st.sampled_from(["true", "false"]))})
    if choice == "channelshuffle":
        return L("channelshuffle", {"groups": str(draw(st.sampled_from([1, 2, 3, 4, 8])))})
    return draw(leaf(choice))


def volumes(rank: int, side: int, channels: int = 12) -> st.SearchStrategy[Volume]:
    """An input of `rank` axes, each 1 to `side` long, and 1 to `channels` channels."""
    return st.tuples(*[st.integers(1, side)] * rank, st.integers(1, channels)).map(lambda sizes: Volume(*sizes))


# -- comparing cnncalc with PyTorch -------------------------------------------------------------------


def rule_refusals(spec: Spec) -> set[str]:
    """The refusals the README states that PyTorch cannot show (see the module's docstring), by code."""
    codes = set()
    for layer in _tree(spec.layers):
        if isinstance(layer, Pool) and not isinstance(layer.padding, str) and one_sided(layer.padding):
            # padding alike on both sides goes to PyTorch's pool, which refuses more than half the window itself
            halves = (size // 2 for size in layer.size for _ in range(2))
            if any(side > half for side, half in zip(layer.padding, halves, strict=True)):
                codes.add("pool-padding")
    return codes


def _tree(layers: Sequence[Layer]) -> list[Layer]:
    return [layer for _, layer in layer_tree(tuple(layers))]


def compare_with_pytorch(text: str) -> None:
    """Load and compute `text` with cnncalc, build and run it with PyTorch, and check that they agree."""
    spec = load(text)  # every generated spec is well formed: the loader must take it
    event(f"rank {spec.input.rank}")
    try:
        report: Report | None = analyse(spec)
        refusal: SpecError | None = None
    except SpecError as exc:
        report, refusal = None, exc
    by_rule = rule_refusals(spec)
    if by_rule:
        event("refused by a rule of the README")
        assert refusal is not None, f"cnncalc accepted what the README refuses ({by_rule}):\n{text}"
        assert by_rule <= {d.code for d in refusal.diagnostics}, f"{refusal}\n{text}"
        return
    if refusal is not None and beyond_period(refusal):
        # cnncalc gives up on a network whose windows repeat only past MAX_PERIOD outputs (resizes and adaptive
        # pools whose sizes share no factor), its shapes and parameters with its receptive field, where PyTorch
        # runs it: a known disagreement, test_pytorch.py keeps one such network as an expected failure
        event("refused by cnncalc alone: windows that repeat past MAX_PERIOD")
        return
    try:
        run = torch_reference.run(spec)
    except torch_reference.Refused as exc:
        # PyTorch's AvgPool3d alone refuses a window larger than its input before padding: a known disagreement,
        # kept below as an expected failure
        avgpool3d = avgpool3d_refusal(spec, exc)
        if refusal is None and avgpool3d:
            event("refused by PyTorch alone: AvgPool3d's window larger than its unpadded input")
            return
        event("refused by both")
        assert refusal is not None, f"PyTorch refuses it, cnncalc computed it: {exc}\n{text}"
        assert_clear(refusal)
        # the row PyTorch stopped at is among those cnncalc reports (unless its AvgPool3d stopped before them)
        refused_rows = {d.layer for d in refusal.diagnostics}
        assert exc.path in refused_rows or avgpool3d, f"PyTorch: {exc}\ncnncalc: {refusal}\n{text}"
        return
    except torch_reference.Unsupported as exc:
        # `ceil` with `same`: PyTorch has no such pool; the README says cnncalc refuses it. A transposed conv's
        # `same` with a kernel narrower than its stride or with output_padding: cnncalc refuses its size
        event("refused by a rule of the README")
        codes = set() if refusal is None else {d.code for d in refusal.diagnostics}
        expected = "shape" if "`same` with" in str(exc) else "ceil-same"
        assert expected in codes, f"PyTorch has no module for it ({exc}), cnncalc: {refusal}\n{text}"
        return
    assert report is not None, f"PyTorch runs it, cnncalc refuses: {refusal}\n{text}"
    event("computed by both")
    assert_same(report, run, text)
    # folding the blocks (--depth 0) keeps every number of the rows it keeps
    folded = analyse(spec, depth=0)
    assert folded.totals == report.totals, text
    for row, whole in zip(folded.layers, report.layers, strict=True):
        assert (row.output, row.params, row.macs, row.receptive_field) == (
            whole.output,
            whole.params,
            whole.macs,
            whole.receptive_field,
        ), text


def avgpool3d_refusal(spec: Spec, refused: torch_reference.Refused) -> bool:
    """Whether PyTorch refuses a 3-D average pool whose window is larger than its input before padding: its
    AvgPool3d checks that (AvgPool1d, AvgPool2d and MaxPool3d do not), where the padding or `ceil` would give
    every output a window; cnncalc computes it."""
    return spec.input.rank == 3 and refused.kind == "avgpool" and "smaller than kernel size" in str(refused)


def beyond_period(refusal: SpecError) -> bool:
    """Whether cnncalc refuses because the windows of a row repeat only after more than MAX_PERIOD outputs."""
    return any(
        f"more than {MAX_PERIOD:,}" in d.message and "repeat only every" in d.message for d in refusal.diagnostics
    )


def assert_clear(refusal: SpecError) -> None:
    """Every error is located in the file and names its layer."""
    assert refusal.diagnostics
    for diagnostic in refusal.diagnostics:
        assert diagnostic.severity == "error"
        assert diagnostic.loc is not None and diagnostic.layer is not None, diagnostic
        assert diagnostic.message.strip(), diagnostic


def assert_same(report: Report, run: torch_reference.Run, text: str) -> None:
    rows = list(walk(report.layers))
    assert {row.path for row in rows} == set(run.outputs), text
    for row in rows:
        at = row.path
        ours = (row.output, row.trainable_params, row.non_trainable_params, row.macs)
        theirs = (run.outputs[at], run.trainable[at], run.running[at], run.macs[at])
        assert ours == theirs, f"row {at} ({row.kind}): cnncalc {ours}, PyTorch {theirs}\n{text}"
        if row.padding is not None:
            assert row.padding == run.padding[at], f"row {at}: padding {row.padding}, PyTorch {run.padding[at]}\n{text}"
    totals = report.totals
    assert totals.output == run.outputs[run.top_level[-1]], text
    assert totals.trainable_params == sum(run.trainable[at] for at in run.top_level), text
    assert totals.non_trainable_params == sum(run.running[at] for at in run.top_level), text
    assert totals.macs == sum(run.macs[at] for at in run.top_level), text


@pytest.mark.xfail(
    strict=True,
    raises=torch_reference.Refused,
    reason="PyTorch's AvgPool3d refuses a window larger than its input before padding, where AvgPool1d, AvgPool2d "
    "and MaxPool3d pool it: 3 x 3 x 3 with padding 1 over 2 x 2 x 2 gives 2 x 2 x 2 in cnncalc",
)
def test_pytorchs_avgpool3d_refuses_a_window_larger_than_its_unpadded_input() -> None:
    for rank in (1, 2, 3):
        spec = load(f"input: {listed([2] * rank + [1])}\nlayers:\n  - avgpool: {{size: 3, stride: 1, padding: 1}}\n")
        assert analyse(spec).totals.output == Volume(*[2] * rank, 1)
        assert torch_reference.run(spec).outputs["1"] == Volume(*[2] * rank, 1), f"rank {rank}"


# -- single layers ----------------------------------------------------------------------------------


@st.composite
def single_conv(draw: st.DrawFn) -> str:
    rank = draw(ranks)
    volume = draw(volumes(rank, SIDE[rank]))
    layer = draw(conv_layer(volume.c, rank, max_kernel=KERNEL[rank]))
    return spec_text(volume, [layer], draw(st.booleans()))


@st.composite
def single_pool(draw: st.DrawFn) -> str:
    rank = draw(ranks)
    layer = draw(pool_layer(rank, max_size=min(6, KERNEL[rank])))
    return spec_text(draw(volumes(rank, SIDE[rank])), [layer], draw(st.booleans()))


@st.composite
def single_convtranspose(draw: st.DrawFn) -> str:
    rank = draw(ranks)
    volume = draw(volumes(rank, DECODER_SIDE[rank]))
    layer = draw(convtranspose_layer(volume.c, rank, max_kernel=min(5, KERNEL[rank])))
    return spec_text(volume, [layer], draw(st.booleans()))


@st.composite
def resizing_layers(draw: st.DrawFn) -> str:
    """1 to 3 upsamples, crops and adaptive pools in a row."""
    rank = draw(ranks)
    volume = draw(volumes(rank, DECODER_SIDE[rank], channels=6))
    side = min(volume.spatial)
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["upsample", "crop", "adaptive"]))
        if kind == "upsample":
            layers.append(draw(upsample_layer(side, rank, max_scale=2)))
        elif kind == "crop":
            layers.append(draw(crop_layer(side, rank)))
        else:
            layers.append(draw(adaptive_pool_layer(side, rank)))
    return spec_text(volume, layers, draw(st.booleans()))


@st.composite
def vector_layers(draw: st.DrawFn) -> str:
    """Global pools, flatten and dense layers, and the layers that keep a volume, on any input."""
    rank = draw(ranks)
    volume = draw(volumes(rank, SIDE[rank]) | st.builds(vector_of, st.just(rank), st.integers(1, 64)))
    first = draw(st.sampled_from(["globalavgpool", "globalmaxpool", "flatten", "none"]))
    layers = [] if first == "none" else [draw(leaf(first))]
    layers += draw(st.lists(dense_layer() | shape_keeping_layer() | leaf("flatten"), min_size=1, max_size=4))
    return spec_text(volume, layers, draw(st.booleans()))


@examples(1_200)
@given(single_conv())
def test_a_conv_matches_pytorch(text: str) -> None:
    compare_with_pytorch(text)


@examples(900)
@given(single_pool())
def test_a_pool_matches_pytorch(text: str) -> None:
    compare_with_pytorch(text)


@examples(900)
@given(single_convtranspose())
def test_a_transposed_conv_matches_pytorch(text: str) -> None:
    compare_with_pytorch(text)


@examples(600)
@given(resizing_layers())
def test_upsampling_crops_and_adaptive_pools_match_pytorch(text: str) -> None:
    compare_with_pytorch(text)


@examples(300)
@given(vector_layers())
def test_global_pools_flatten_and_dense_match_pytorch(text: str) -> None:
    spec = load(text)
    first_dense = next((layer for layer in spec.layers if layer.kind == "dense"), None)
    before = spec.layers[: spec.layers.index(first_dense)] if first_dense else ()
    if (
        first_dense
        and not spec.input.is_point
        and not any(layer.kind in ("flatten", "globalavgpool", "globalmaxpool") for layer in before)
    ):
        # PyTorch's linear layer flattens what it is given; the README says a dense layer needs 1 x ... x 1 x n
        event(f"rank {spec.input.rank}")
        event("dense on a volume: refused by a rule of the README")
        with pytest.raises(SpecError) as refused:
            analyse(spec)
        assert "dense-volume" in {d.code for d in refused.value.diagnostics}
        return
    compare_with_pytorch(text)


# -- stacks of 2 to 12 layers, blocks among them -------------------------------------------------------


class Shape(NamedTuple):
    """What the generator knows of the volume a layer gets, to draw layers that mostly fit: its channels, a
    rough side (an upper bound), and whether it is a vector (1 x ... x 1 x n) after a flatten or a global pool."""

    channels: int
    side: int
    vector: bool = False


# what a stack may add to a map, the commonest most often
MAP_CHOICES = [
    *("conv", "conv", "conv", "pool", "pool", "keep"),
    *("residual", "concat", "repeat", "global", "flatten", "zeropad"),
    *("convtranspose", "upsample", "crop", "adaptive"),
]


@st.composite
def stack_layer(draw: st.DrawFn, shape: Shape, depth: int, rank: int) -> tuple[L, Shape]:
    """One layer of a stack, and the shape it (most likely) leaves; a block holds layers drawn the same way."""
    c, side, vector = shape
    if vector:
        choice = draw(st.sampled_from(["dense", "dense", "keep", "flatten", "conv1x1", "residual", "concat"]))
    else:
        choice = draw(st.sampled_from(MAP_CHOICES))
    if choice in ("residual", "concat", "repeat") and depth >= 2:
        choice = "keep"
    if choice == "dense":
        layer = draw(dense_layer())
        return layer, Shape(int(layer.options["units"]), 1, True)
    if choice == "keep":
        return draw(shape_keeping_layer()), shape
    if choice == "flatten":
        return draw(leaf("flatten")), Shape(c * side**rank, 1, True)
    if choice == "global":
        return draw(st.sampled_from(["globalavgpool", "globalmaxpool"]).flatmap(leaf)), Shape(c, 1, True)
    if choice == "zeropad":
        sides = [draw(st.integers(0, 2)) for _ in range(2 * rank)]
        form = draw(st.sampled_from(["int", "per_axis", "sides"]))
        if form == "int":
            sides = [sides[0]] * 2 * rank
            text = str(sides[0])
        elif form == "per_axis":
            sides = [side for before in sides[::2] for side in (before, before)]
            text = listed(sides[::2])
        else:
            text = listed(sides)
        grown = max(before + after for before, after in zip(sides[::2], sides[1::2], strict=True))
        return L("zeropad", {"padding": text}), Shape(c, side + grown)
    if choice == "conv1x1":
        filters = draw(st.integers(1, 16))
        return L("conv", {"filters": filters, "kernel": 1}), Shape(filters, 1, True)
    if choice == "conv":
        layer = draw(conv_layer(c, rank, max_kernel=max(1, min(KERNEL[rank], side)), max_stride=3 if side > 8 else 1))
        return layer, Shape(int(layer.options["filters"]), max(1, side // _largest(layer.options.get("stride", 1))))
    if choice == "pool":
        layer = draw(pool_layer(rank, max_size=max(1, min(4, side)), max_stride=3 if side > 8 else 1, by_rule=False))
        stride = layer.options.get("stride", layer.options["size"])  # a pool's stride is its size by default
        return layer, Shape(c, max(1, side // _largest(stride)))
    # up-sampling below LARGE only, by 3 at most (by 2 in 3-D)
    up = (3 if rank < 3 else 2) if side <= LARGE[rank] else 1
    if choice == "convtranspose":
        layer = draw(convtranspose_layer(c, rank, max_kernel=min(5, KERNEL[rank]), max_stride=up))
        stride = _largest(layer.options.get("stride", 1))
        return layer, Shape(int(layer.options["filters"]), max(1, side * stride))
    if choice == "upsample":
        layer = draw(upsample_layer(side, rank, max_scale=up))
        return layer, Shape(c, side * _largest(layer.options.get("scale", 1)) if "size" not in layer.options
                            else _largest(layer.options["size"]))  # fmt: skip
    if choice == "crop":
        layer = draw(crop_layer(side, rank))
        return layer, Shape(c, _largest(layer.options["size"]) if "size" in layer.options else max(1, side // 2))
    if choice == "adaptive":
        layer = draw(adaptive_pool_layer(side, rank))
        return layer, Shape(c, _largest(layer.options["size"]))
    if choice == "repeat":
        times = draw(st.integers(1, 3))
        body, inner = draw(layer_list(shape, depth + 1, 1, 3, rank))
        # a second repetition gets what the first gave: it fits when the body keeps the shape, and when not,
        # both must say so
        return L("repeat", {"times": times, "layers": body}), inner
    if choice == "residual":
        return draw(residual_block(shape, depth, rank))
    return draw(concat_block(shape, depth, rank))


def _largest(value: object) -> int:
    """The largest of the numbers of an option's YAML text (`2` or `[2, 3]`)."""
    return max(int(part) for part in str(value).strip("[]").split(","))


@st.composite
def layer_list(draw: st.DrawFn, shape: Shape, depth: int, low: int, high: int, rank: int) -> tuple[list[L], Shape]:
    layers = []
    for _ in range(draw(st.integers(low, high))):
        layer, shape = draw(stack_layer(shape, depth, rank))
        layers.append(layer)
    return layers, shape


@st.composite
def keeping_conv(draw: st.DrawFn, channels: int, filters: int, rank: int, stride: int = 1) -> L:
    """A conv that keeps the map's sides at stride 1 (halves them, rounding up, at stride 2): an odd kernel
    with (k - 1) / 2 padding, or `same`."""
    k = draw(st.sampled_from([1, 3, 5] if rank < 3 else [1, 3]))
    options: dict[str, Any] = {"filters": filters, "kernel": k}
    if stride != 1:
        options["stride"] = stride
    half = (k - 1) // 2
    options["padding"] = draw(st.sampled_from(["same", str(half), listed([half] * rank)]))
    if draw(st.booleans()):
        options["bias"] = "false"
    return L("conv", options)


@st.composite
def residual_block(draw: st.DrawFn, shape: Shape, depth: int, rank: int) -> tuple[L, Shape]:
    """A residual block as networks build them (the identity, or a 1 x 1 projection that strides as the layers
    do), or now and then with layers drawn freely: then the add may not fit, and both must agree on that."""
    c, side, vector = shape
    options: dict[str, Any] = {}
    if vector:
        # after a flatten the generator's channel count is a guess: a projection shortcut fits whatever it is
        units = draw(st.sampled_from([c, draw(st.integers(1, 16))]))
        options["layers"] = [L("dense", {"units": units}), *draw(st.lists(shape_keeping_layer(), max_size=2))]
        if units != c or draw(st.booleans()):
            options["shortcut"] = [L("dense", {"units": units})]
        out = Shape(units, 1, True)
    elif draw(st.integers(0, 4)) == 0:
        options["layers"], out = draw(layer_list(shape, depth + 1, 1, 3, rank))
    else:
        stride = draw(st.sampled_from([1, 1, 2])) if side > 4 else 1
        filters = c if stride == 1 and draw(st.booleans()) else draw(st.sampled_from([4, 8, c * 2]))
        main = [draw(keeping_conv(c, filters, rank, stride))]
        main += draw(st.lists(shape_keeping_layer(), max_size=2))
        if draw(st.booleans()):
            main.append(draw(keeping_conv(filters, filters, rank)))
        options["layers"] = main
        if filters != c or stride != 1:
            projection: dict[str, Any] = {"filters": filters, "kernel": 1}
            if stride != 1:
                projection["stride"] = stride
            options["shortcut"] = [L("conv", projection), *draw(st.lists(leaf("batchnorm"), max_size=1))]
        elif draw(st.booleans()):
            options["shortcut"] = []
        out = Shape(filters, max(1, -(-side // stride)))
    if draw(st.booleans()):
        options["activation"] = draw(activation_text)
    return L("residual", options), out


@st.composite
def concat_block(draw: st.DrawFn, shape: Shape, depth: int, rank: int) -> tuple[L, Shape]:
    """Branches that keep the map's sides (an inception block), or that all halve them; the identity `[]` among
    them now and then; now and then each branch on its slice of the channels (`split`, ShuffleNet's), the slices
    adding up to the channels, or now and then not."""
    c, side, vector = shape
    branches: list[list[L]] = []
    total = 0
    keeps: list[bool] = []  # per branch, whether its output has its input's channels
    stride = 2 if not vector and side > 4 and draw(st.integers(0, 3)) == 0 else 1
    for _ in range(draw(st.integers(2, 4))):
        kind = draw(st.sampled_from(["identity", "conv", "conv", "pool", "free"]))
        if vector:
            units = draw(st.integers(1, 16))
            branch, channels = ([], c) if kind == "identity" else ([L("dense", {"units": units})], units)
        elif kind == "identity" and stride == 1:
            branch, channels = [], c
        elif kind == "pool":
            size = 3 if stride == 2 or draw(st.booleans()) else 1
            pool = L(draw(st.sampled_from(["maxpool", "avgpool"])), {"size": size, "stride": stride,
                                                                      "padding": (size - 1) // 2})  # fmt: skip
            branch, channels = [pool], c
        elif kind == "free" and depth < 2:
            branch, end = draw(layer_list(shape, depth + 1, 1, 2, rank))
            channels = end.channels
        else:
            filters = draw(st.integers(1, 8))
            branch = [draw(keeping_conv(c, filters, rank, stride))]
            if draw(st.booleans()):
                branch.append(draw(keeping_conv(filters, filters, rank)))
            channels = filters
        branches.append(branch)
        keeps.append(kind in ("identity", "pool") and (kind == "pool" or stride == 1) and not vector)
        total += channels
    options: dict[str, Any] = {"branches": branches}
    if c >= len(branches) and draw(st.integers(0, 3)) == 0:
        cuts = sorted(draw(st.lists(st.integers(1, c - 1), min_size=len(branches) - 1, max_size=len(branches) - 1,
                                    unique=True))) if len(branches) <= c else []  # fmt: skip
        split = [b - a for a, b in zip([0, *cuts], [*cuts, c], strict=True)]
        if draw(st.integers(0, 5)) == 0:
            split[-1] += draw(st.sampled_from([-1, 1] if split[-1] > 1 else [1]))  # not adding up: both refuse
        options["split"] = f"[{', '.join(map(str, split))}]"
        # a branch that keeps its channels gives its slice
        total += sum(part - c for part, keep in zip(split, keeps, strict=True) if keep)
    return L("concat", options), Shape(total, max(1, -(-side // stride)), vector)


@st.composite
def stacks(draw: st.DrawFn) -> str:
    """A network of 2 to 12 layers, blocks among them, nested up to two deep."""
    rank = draw(ranks)
    volume = Volume(*(draw(st.integers(6 if rank < 3 else 3, STACK_SIDE[rank])) for _ in range(rank)),
                    draw(st.integers(1, 8)))  # fmt: skip
    layers, _ = draw(layer_list(Shape(volume.c, min(volume.spatial)), 0, 2, 12, rank))
    return spec_text(volume, layers, draw(st.booleans()))


@examples(1_800)
@given(stacks())
def test_a_stack_matches_pytorch(text: str) -> None:
    compare_with_pytorch(text)


# -- the receptive field, by back-propagation ------------------------------------------------------------


class Window(NamedTuple):
    """A conv, pool, zeropad, crop or transposed conv (at stride 1) of a receptive-field stack: one value per axis,
    and its padding (a zeropad's, a crop's cut, a transposed conv's) as the spec writes it: `same`, `valid`, or
    before and after per axis."""

    kind: str
    kernel: PerAxis
    stride: PerAxis
    dilation: PerAxis
    padding: str | Sides
    ceil: bool
    filters: int = 1


class Paths(NamedTuple):
    """A residual block (its layers, then its shortcut) or a concat (its branches): paths of windows from one input."""

    kind: str
    paths: tuple[tuple[Window, ...], ...]


Item = Window | Paths
# per rank, what the strides of a stack multiply to at most on each axis (its field fits a few hundred pixels, a
# few dozen in 3-D); the widest kernel and dilation drawn; and the input side (by `reach`) a 3-D stack stays within
MAX_JUMP = {1: 12, 2: 12, 3: 4}
WIDEST = {1: (5, 3), 2: (5, 3), 3: (3, 2)}
MAX_INPUT = {3: 40}


@st.composite
def window(draw: st.DrawFn, jumps: PerAxis) -> Window:
    rank = len(jumps)
    widest, dilated = WIDEST[rank]
    ones = (1,) * rank
    kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool", "zeropad", "crop", "convtranspose"]))
    if kind in ("zeropad", "crop"):
        # as a 1 x 1 window that moves the field by its padding before, or the other way by its cut
        sides = tuple(draw(st.integers(0, 3)) for _ in range(2 * rank))
        return Window(kind, ones, ones, ones, sides, False)
    if kind == "convtranspose":
        # at stride 1 a transposed conv is a conv padded by d (k - 1) less its cut: every output sees k taps
        kernel = tuple(draw(st.integers(1, widest)) for _ in range(rank))
        dilation = tuple(draw(st.integers(1, dilated)) for _ in range(rank))
        _, padding = draw(padding_text(rank, 3))
        return Window(kind, kernel, ones, dilation, padding, False)
    kernel = tuple(draw(st.integers(1, widest)) for _ in range(rank))
    stride = tuple(draw(st.integers(1, 3)) if jump * 3 <= MAX_JUMP[rank] else 1 for jump in jumps)
    dilation = tuple(draw(st.integers(1, dilated)) for _ in range(rank)) if kind == "conv" else ones
    # a pool pads at most half its window (more is refused, as the tests above check), a conv up to 3 here
    _, padding = draw(padding_text(rank, 3 if kind == "conv" else min(kernel) // 2))
    ceil = kind != "conv" and padding != "same" and not one_sided(padding) and draw(st.booleans())
    return Window(kind, kernel, stride, dilation, padding, ceil)


@st.composite
def path_block(draw: st.DrawFn, channels: int, jumps: PerAxis) -> tuple[Paths, int]:
    """A residual or a concat whose paths give equal sides: each path is the identity (at stride 1), or a window
    that strides as the others do with padding that keeps `ceil(h / s)` (`same`, or half an odd span), perhaps
    followed by a conv that keeps the size. Even spans centre their fields apart: cnncalc warns then, and the union
    is still what the gradient reaches."""
    rank = len(jumps)
    stride = 2 if max(jumps) * 2 <= MAX_JUMP[rank] and draw(st.booleans()) else 1
    kind = draw(st.sampled_from(["residual", "concat"]))
    paths: list[tuple[Window, ...]] = []
    for number in range(2 if kind == "residual" else draw(st.integers(2, 3))):
        # a residual's layers are never empty; its shortcut and a concat's branches may be the identity
        if stride == 1 and (kind == "concat" or number == 1) and draw(st.integers(0, 3)) == 0:
            paths.append(())
            continue
        path: list[Window] = []
        for step in range(draw(st.integers(1, 2))):
            s = stride if step == 0 else 1
            pool = draw(st.integers(0, 3)) == 0
            k = 3 if pool else draw(st.integers(1, min(4, WIDEST[rank][0])))
            d = 1 if pool else draw(st.integers(1, 2))
            span = d * (k - 1) + 1
            half = (span - 1) // 2
            padding: str | Sides = (half,) * 2 * rank if span % 2 and draw(st.booleans()) else "same"
            if pool:
                kind_of_pool = draw(st.sampled_from(["maxpool", "avgpool"]))
                path.append(Window(kind_of_pool, (3,) * rank, (s,) * rank, (1,) * rank, (1,) * 2 * rank, False))
            else:
                path.append(Window("conv", (k,) * rank, (s,) * rank, (d,) * rank, padding, False, channels))
        paths.append(tuple(path))
    return Paths(kind, tuple(paths)), channels * (len(paths) if kind == "concat" else 1)


def input_sides(items: Sequence[Item], rank: int) -> list[int]:
    """Per axis, an input large enough to hold the field of the middle output with room around it."""
    return [2 * far + 4 * jump + 1 for far, jump in (reach(items, axis) for axis in range(rank))]


def fits(items: Sequence[Item], rank: int) -> bool:
    """Whether the input the items need stays within the rank's MAX_INPUT, where it has one."""
    return rank not in MAX_INPUT or max(input_sides(items, rank)) <= MAX_INPUT[rank]


@st.composite
def window_stacks(draw: st.DrawFn, rank: int) -> tuple[int, list[Item]]:
    """At `rank`, 1 to 6 convs, pools and blocks of them, with strides, dilations and padding of every form;
    zeropads, crops and transposed convs at stride 1 among them. In 3-D, a block that would need too large an
    input gives way to a window, and the stack ends before a window that would (one window always fits)."""
    items: list[Item] = []
    jumps, channels = (1,) * rank, 1
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 3)) == 0:
            block, after = draw(path_block(channels, jumps))
            if fits([*items, block], rank):
                items.append(block)
                channels = after
                stride = max(w.stride[0] for path in block.paths for w in path[:1]) if any(block.paths) else 1
                jumps = tuple(jump * stride for jump in jumps)
                continue
        leaf_window = draw(window(jumps))
        if not fits([*items, leaf_window], rank):
            break
        items.append(leaf_window)
        channels = 1 if leaf_window.kind in ("conv", "convtranspose") else channels
        jumps = tuple(jump * s for jump, s in zip(jumps, leaf_window.stride, strict=True))
    assert items, "a single window always fits"
    return rank, items


def item_yaml(item: Item) -> str:
    if isinstance(item, Paths):
        paths = ["[" + ", ".join("{" + item_yaml(w) + "}" for w in path) + "]" for path in item.paths]
        if item.kind == "residual":
            return f"residual: {{layers: {paths[0]}, shortcut: {paths[1]}}}"
        return f"concat: {{branches: [{', '.join(paths)}]}}"
    kernel, stride, dilation = listed(item.kernel), listed(item.stride), listed(item.dilation)
    padding = item.padding if isinstance(item.padding, str) else listed(item.padding)
    if item.kind == "zeropad":
        return f"zeropad: {{padding: {padding}}}"
    if item.kind == "crop":
        return f"crop: {{sides: {padding}}}"
    if item.kind == "convtranspose":
        return f"convtranspose: {{filters: 1, kernel: {kernel}, dilation: {dilation}, padding: {padding}}}"
    if item.kind == "conv":
        return (
            f"conv: {{filters: {item.filters}, kernel: {kernel}, stride: {stride}, dilation: {dilation}, "
            f"padding: {padding}}}"
        )
    ceil = str(item.ceil).lower()
    return f"{item.kind}: {{size: {kernel}, stride: {stride}, padding: {padding}, ceil: {ceil}}}"


def reach(items: Sequence[Item], axis: int, jump: int = 1) -> tuple[int, int]:
    """How far a field can reach past its output, padding and all, and the jump after `items`: a bound that
    needs no receptive-field arithmetic to be right, only to be large."""
    far = 0
    for item in items:
        if isinstance(item, Paths):
            reaches = [reach(path, axis, jump) for path in item.paths]
            far += max(r for r, _ in reaches)
            jump = max(j for _, j in reaches)
        else:
            span = item.dilation[axis] * (item.kernel[axis] - 1) + 1
            far += (2 * span + 3) * jump  # the span, and padding of at most 3 or the span
            jump *= item.stride[axis]
    return far, jump


def as_average(layer: Layer) -> Layer:
    """A max pool sends its gradient to one input of each window; an average pool, with the same windows, to all."""
    if isinstance(layer, Pool):
        return layer._replace(kind="avgpool")
    return rebuilt(layer, as_average)


def gradient_support(x: torch.Tensor, y: torch.Tensor, at: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """Along each axis, the first and last input position whose gradient, from the output at `at`, is not zero: the
    positions that output sees."""
    index: tuple[int | slice, ...] = (0, slice(None), *at)
    (grad,) = torch.autograd.grad(y[index].sum(), x, retain_graph=True)
    seen = (grad[0].abs().sum(dim=0) > 0).nonzero()
    return tuple((int(seen[:, axis].min()), int(seen[:, axis].max())) for axis in range(seen.shape[1]))


@examples(900)
@given(ranks.flatmap(window_stacks))
def test_receptive_field_is_where_the_gradient_reaches(drawn: tuple[int, list[Item]]) -> None:
    rank, items = drawn
    event(f"rank {rank}")
    volume = Volume(*input_sides(items, rank), 1)
    text = "\n".join([f"input: {listed(volume)}", "layers:", *(f"  - {item_yaml(i)}" for i in items)])
    spec = load(text)
    try:
        report = analyse(spec)
    except SpecError:
        # only a stride larger than a pool's window after `same`... anything cnncalc refuses, PyTorch must too
        event("refused")
        with pytest.raises(torch_reference.Refused):
            torch_reference.run(spec)
        return
    event("computed, with warnings" if report.warnings else "computed")
    last = report.layers[-1]
    modules = [
        module.double() for module in torch_reference.build(spec._replace(layers=tuple(map(as_average, spec.layers))))
    ]
    x = torch.zeros(1, 1, *volume.spatial, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():  # the lazy modules take their shapes from a first pass; then every weight is positive
        y = x
        for module in modules:
            y = module(y)
        for parameter in (p for module in modules for p in module.parameters()):
            parameter.fill_(1.0)
    y = x
    for module in modules:
        y = module(y)
    outputs = last.output.spatial
    centre = tuple(size // 2 for size in outputs)
    first = gradient_support(x, y, centre)
    for axis, ((low, high), size) in enumerate(zip(first, volume.spatial, strict=True)):
        assert 0 < low and high < size - 1, f"the input is too small to hold the field: a bug in this test\n{text}"
        r, j, p = last.receptive_field[axis], last.jump[axis], last.effective_padding[axis]
        assert isinstance(j, int), f"no up-sampling here, yet a jump of {j}\n{text}"
        assert high - low + 1 == r, f"axis {axis}: the gradient reaches {high - low + 1} pixels, cnncalc: {r}\n{text}"
        assert low == centre[axis] * j - p, (
            f"axis {axis}: the field starts at {low}, cnncalc: o j - P = {centre[axis]} * {j} - {p}\n{text}"
        )
    following = tuple(min(o + 1, size - 1) for o, size in zip(centre, outputs, strict=True))
    second = gradient_support(x, y, following)
    for axis in range(rank):
        if following[axis] != centre[axis]:
            jump = second[axis][0] - first[axis][0]
            assert jump == last.jump[axis], (
                f"axis {axis}: outputs {jump} apart, cnncalc's jump {last.jump[axis]}\n{text}"
            )
