"""A spec as a self-contained PyTorch module: an `nn.Module` and `build()`, exact to cnncalc's numbers.

Pure: a spec and its report in, Python source text out; nothing here imports torch. Every `in_channels` and
`in_features` comes from the report, so the module is explicit, not lazy, and built for the spec's input size.
The model's children map one-to-one to the spec's rows at every depth: a conv with its activation or its padding
module is one `nn.Sequential`, a repeat is an `nn.Sequential` of every repetition's rows, a residual is
`Residual(layers, shortcut=..., activation=...)`, a concat is `Concat(branch, ...)`.

Where PyTorch's own padding cannot say what cnncalc computes (`same` at a stride above 1, even kernels, padding
that differs on the two sides of an axis), the padding goes in front as a module: zeros for a conv, -inf for a max
pool (which never picks it, as PyTorch pads max pooling), zeros for an average pool (which counts them in the
window, as cnncalc and PyTorch's default `count_include_pad=True` do). A layer that cannot be written exactly is
refused with a located error, never approximated.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence

from .check import too_large, too_large_input
from .diagnostics import Diagnostic, SpecError, error, in_file_order
from .formulas import pool_output
from .kinds import BLOCKS, KINDS, ByKind, is_block, repetitions
from .record import Record
from .report import LayerResult, Report, walk
from .spec import (
    ACTIVATIONS,
    Activation,
    BatchNorm,
    Concat,
    Conv,
    Dense,
    Dropout,
    Flatten,
    GlobalPool,
    Layer,
    Pair,
    Pool,
    Repeat,
    Residual,
    Spec,
    Volume,
    ZeroPad,
)

TARGETS = ("pytorch",)
WIDTH = 88  # the exported code's lines, as ruff and black format them by default

# the module for each activation kind; softmax over dim 1, the channels of (N, C, H, W) and the features of (N, n)
ACTIVATION_MODULES = {
    "relu": "nn.ReLU()",
    "leakyrelu": "nn.LeakyReLU()",
    "elu": "nn.ELU()",
    "gelu": "nn.GELU()",
    "silu": "nn.SiLU()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "softmax": "nn.Softmax(dim=1)",
}

# a tensor's form: "map" is (N, C, H, W); "vector" is (N, n), what nn.Flatten and nn.Linear give
MAP, VECTOR = "map", "vector"

_RESIDUAL_CLASS = '''
class Residual(nn.Module):
    """A residual block: layers(x) + shortcut(x), then the activation; no shortcut is the identity."""

    def __init__(
        self,
        layers: nn.Module,
        shortcut: nn.Module | None = None,
        activation: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.layers = layers
        self.shortcut = nn.Identity() if shortcut is None else shortcut
        self.activation = nn.Identity() if activation is None else activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.layers(x) + self.shortcut(x))
'''

_CONCAT_CLASS = '''
class Concat(nn.Module):
    """A concat block: each branch on the same input, the outputs stacked on the channels."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # dim 1: the channels of (N, C, H, W), the features of (N, n)
        return torch.cat([branch(x) for branch in self.branches], dim=1)
'''


class _Node(Record):
    """An expression: `head` alone, or the call `head(args)`, laid out on one line where it fits."""

    head: str
    args: tuple[_Arg, ...] | None = None


class _Arg(Record):
    node: _Node
    comments: tuple[str, ...] = ()
    keyword: str | None = None


def _call(head: str, *args: _Node | _Arg) -> _Node:
    return _Node(head, tuple(arg if isinstance(arg, _Arg) else _Arg(arg) for arg in args))


def _flat(node: _Node) -> str | None:
    """The node on one line, or None where a comment needs lines of its own."""
    if node.args is None:
        return node.head
    parts = []
    for arg in node.args:
        inner = _flat(arg.node)
        if inner is None or arg.comments:
            return None
        parts.append(f"{arg.keyword}={inner}" if arg.keyword else inner)
    return f"{node.head}({', '.join(parts)})"


def _render(node: _Node, indent: int, prefix: str = "", suffix: str = "") -> list[str]:
    """The node's lines at `indent`; a call that does not fit has an argument a line, each with a trailing comma."""
    pad = " " * indent
    flat = _flat(node)
    if node.args is None or (flat is not None and len(pad + prefix + flat + suffix) <= WIDTH):
        return [f"{pad}{prefix}{flat}{suffix}"]
    lines = [f"{pad}{prefix}{node.head}("]
    for arg in node.args:
        lines += [f"{pad}    # {comment}" for comment in arg.comments]
        lines += _render(arg.node, indent + 4, f"{arg.keyword}=" if arg.keyword else "", ",")
    return [*lines, f"{pad}){suffix}"]


def _module(head: str, *args: str) -> _Node:
    """A call whose arguments are given as text: `_module("nn.Linear", "400", "120")`."""
    return _call(head, *(_Node(arg) for arg in args))


def _size(pair: Pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"


def _text(value: object) -> str:
    """A name or path from the spec, safe in a comment: no line breaks or other unprintables."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(value))


def _docstring_text(value: object) -> str:
    return _text(value).replace("\\", "\\\\").replace('"', '\\"')


def tensor_shape(volume: Volume, form: str) -> str:
    """The PyTorch shape of a cnncalc volume: (N, c, h, w), or (N, n) as a vector."""
    if form == VECTOR:
        return f"(N, {volume.h * volume.w * volume.c})"
    return f"(N, {volume.c}, {volume.h}, {volume.w})"


def class_name(name: str | None) -> str:
    """A Python class name for the network: "LeNet-5" gives LeNet5, "ResNet-18" ResNet18."""
    words = re.findall(r"[A-Za-z0-9]+", name or "")
    candidate = "".join(word[:1].upper() + word[1:] for word in words)
    if not candidate.isidentifier() or not candidate.isascii():
        candidate = f"Net{candidate}" if candidate.isalnum() and candidate.isascii() else "Network"
    if keyword.iskeyword(candidate) or candidate in {"Residual", "Concat", "build", "torch", "nn"}:
        candidate += "Network"
    return candidate


def to_pytorch(spec: Spec, report: Report, source: str | None = None) -> str:
    """The spec as a Python module defining its network (an `nn.Sequential` subclass) and `build() -> nn.Module`.

    `report` is `analyse(spec)`, unfolded. Raise SpecError, one located error per layer, where a layer cannot be
    written exactly.
    """
    if any(row.folded for row in walk(report.layers)):
        raise ValueError("export needs every row: analyse the spec without a depth")
    writer = _Writer()
    children = writer.path(report.layers, MAP, None)
    refused = list(writer.refused.values())
    if oversized := too_large_input(spec.input):
        refused.append(error("export", f"cannot export exactly: PyTorch: {oversized}", spec.input_loc))
    if refused:
        raise SpecError(in_file_order(refused))
    network = class_name(spec.name)
    title = _docstring_text(spec.name or "A network")
    v, totals = spec.input, report.totals
    buffers = f";\nbatchnorm's running statistics add {totals.non_trainable_params:,} in buffers"
    header = [
        f'"""{title}: a PyTorch model exported by cnncalc.',
        "",
        *([f"From {_docstring_text(source)}."] if source else []),
        f"Built for a {v.h} x {v.w} x {v.c} input: every size and padding here is worked out for it.",
        "",
        "PyTorch is channels first: where cnncalc writes a volume h x w x c, the tensor here is",
        f"(N, c, h, w), so the input is {tensor_shape(v, MAP)}; after a flatten, a vector of n is (N, n).",
        "The model's children map one-to-one to the spec's layers: model[0] is layer 1, and so on",
        "inside blocks (a repeat holds every repetition's layers in turn). Each child's comment gives",
        "its path as `cnncalc summary` numbers it, its kind and name, and the output cnncalc computed.",
        "",
        f"Parameters: {totals.trainable_params:,}, as sum(p.numel() for p in model.parameters()) counts them"
        + (buffers if totals.non_trainable_params else "")
        + ".",
        '"""',
        "",
        "import torch",
        "from torch import nn",
    ]
    used = {row.kind for row in walk(report.layers)}
    # each block kind's class once, in the order the kinds are declared
    classes = [text for kind in BLOCKS if kind in used and (text := CLASSES[kind]())]
    output = tensor_shape(totals.output, form_after(report.layers, MAP))
    network_class = [
        f"class {network}(nn.Sequential):",
        f'    """{title}: input {tensor_shape(v, MAP)}, output {output}."""',
        "",
        "    def __init__(self) -> None:",
        *_render(_Node("super().__init__", tuple(children)), 8),
    ]
    build = [
        "def build() -> nn.Module:",
        f'    """A freshly initialised {title}."""',
        f"    return {network}()",
    ]
    main = [
        'if __name__ == "__main__":',
        "    model = build().eval()",
        "    with torch.no_grad():",
        f"        output = model(torch.randn(1, {v.c}, {v.h}, {v.w}))",
        "    print(tuple(output.shape), sum(p.numel() for p in model.parameters()))",
    ]
    sections = ["\n".join(header), *classes, *("\n".join(lines) for lines in (network_class, build, main))]
    return "\n\n\n".join(section.strip("\n") for section in sections) + "\n"


class _Writer:
    """One pass over the report's rows, each written as a PyTorch expression; the layers refused are collected."""

    def __init__(self) -> None:
        # a layer refused once, however many repetitions or paths it turns up in
        self.refused: dict[tuple[object, str], Diagnostic] = {}

    def path(self, rows: Sequence[LayerResult], form: str, want: str | None) -> list[_Arg]:
        """The rows in order from a tensor of `form`; the last one made to give a `want` tensor, if given."""
        args = []
        for number, row in enumerate(rows, start=1):
            arg, form = self.row(row, form, want if number == len(rows) else None)
            args.append(arg)
        return args

    def row(self, row: LayerResult, form: str, want: str | None) -> tuple[_Arg, str]:
        """One row as an argument of its parent: the expression, its comments, and the form of its output."""
        if reason := too_large(row):
            self.refuse(row, f"PyTorch: {reason}")
        layer = row.layer
        name = f" {_text(layer.name)}" if layer.name else ""
        notes: list[str] = []
        times = ""
        if is_block(layer):
            # a block's paths are made to give the form wanted of it themselves
            out = want or FORMS.of(layer)(row, form)
            node = BLOCK_MODULES.of(layer)(self, row, layer, form, out)
            if KINDS[layer.kind].repeated_by:
                times = f" x{repetitions(layer)}"
        else:
            modules, out = self.leaf(row, form, notes)
            if want and want != out:
                modules.append(_reshape(row.output, want))
                out = want
            node = modules[0] if len(modules) == 1 else _call("nn.Sequential", *modules)
        heading = f"{row.path} {layer.kind}{name}{times}"
        comment = f"{heading}: out {row.output}, tensor {tensor_shape(row.output, out)}"
        return _Arg(node, (comment, *notes)), out

    def leaf(self, row: LayerResult, form: str, notes: list[str]) -> tuple[list[_Node], str]:
        """The modules of one layer, in order, and the form of their output; notes say why where it is not plain."""
        layer = row.layer
        modules: list[_Node] = []
        takes = TAKES.of(layer)()
        if takes and form != takes:
            # a spatial layer after a flatten: the vector of n as the 1 x 1 x n volume it is in cnncalc; a dense
            # layer on a 1 x 1 x n map: the map flattened
            modules.append(_reshape(row.input, takes))
            form = takes
        modules += MODULES.of(layer)(self, row, layer, form, notes)
        return modules, FORMS.of(layer)(row, form)

    def branch(
        self, rows: Sequence[LayerResult], given: Volume, form: str, out: str, empty: str = "nn.Identity()"
    ) -> _Node:
        """A path of a block as one module: an nn.Sequential of its rows; with no rows, the identity or a reshape."""
        if rows:
            return _call("nn.Sequential", *self.path(rows, form, out))
        if form != out:
            # no rows, and a tensor of the other form where the paths meet: the same numbers, reshaped
            return _reshape(given, out)
        return _Node(empty)

    def refuse(self, row: LayerResult, reason: str, option: str | None = None) -> _Node:
        """Note that `row` cannot be written exactly, at the option at fault where there is one; a stand-in node."""
        loc = row.layer.option_locs.get(option, row.layer.loc) if option else row.layer.loc
        key = (loc, reason)
        if key not in self.refused:
            self.refused[key] = error("export", f"cannot export exactly: {reason}", loc, row.path, row.layer.kind)
        return _Node("nn.Identity()")

    def activation(self, row: LayerResult, kind: str, option: str | None = "activation") -> _Node:
        """The module of an activation kind; `option`: the layer's option that names it, None for the layer itself."""
        module = ACTIVATION_MODULES.get(kind)
        if module is None:
            return self.refuse(row, f"no PyTorch module for the activation {kind!r}", option)
        return _Node(module)


def form_after(rows: Sequence[LayerResult], form: str) -> str:
    """The form of the tensor the rows give, from a tensor of `form`."""
    for row in rows:
        form = FORMS.of(row.layer)(row, form)
    return form


# -- per kind: the form of the tensor it leaves, and the form a leaf takes ------------------------------

# the form of the tensor a row leaves, from a tensor of `form`
FORMS = ByKind("export.FORMS")


@FORMS.register("conv", "maxpool", "avgpool", "globalavgpool", "globalmaxpool", "zeropad")
def _a_map(row: LayerResult, form: str) -> str:
    return MAP


@FORMS.register("flatten", "dense")
def _a_vector(row: LayerResult, form: str) -> str:
    return VECTOR


@FORMS.register("batchnorm", "dropout", *ACTIVATIONS)
def _as_given(row: LayerResult, form: str) -> str:
    return form


@FORMS.register("repeat")
def _as_its_rows_leave(row: LayerResult, form: str) -> str:
    return form_after(row.layers, form)


@FORMS.register("residual")
def _where_added(row: LayerResult, form: str) -> str:
    return _meet([form_after(row.layers, form), form_after(row.shortcut, form)])


@FORMS.register("concat")
def _where_stacked(row: LayerResult, form: str) -> str:
    return _meet([form_after(branch, form) for branch in row.branches])


# the form a leaf's modules take their input in, reshaped to it where it comes in the other; None: either
TAKES = ByKind("export.TAKES", covers="leaves")


@TAKES.register("conv", "maxpool", "avgpool", "globalavgpool", "globalmaxpool", "zeropad")
def _takes_a_map() -> str | None:
    return MAP


@TAKES.register("dense")
def _takes_a_vector() -> str | None:
    return VECTOR


@TAKES.register("flatten", "batchnorm", "dropout", *ACTIVATIONS)
def _takes_either() -> str | None:
    return None


# -- per leaf kind: its modules ----------------------------------------------------------------------

# a leaf's modules, in order, from a tensor of `form` (the form TAKES asks for); `notes` say why where it is not
# plain. A kind with no exact module registers `_no_module`: a located error, never a stand-in.
MODULES = ByKind("export.MODULES", covers="leaves")


def _no_module(writer: _Writer, row: LayerResult, layer: Layer, form: str, notes: list[str]) -> list[_Node]:
    """The entry of a kind PyTorch has no module for: the layer refused where it is."""
    return [writer.refuse(row, f"no PyTorch module for the layer kind {layer.kind!r}")]


@MODULES.register("conv")
def _conv(writer: _Writer, row: LayerResult, layer: Conv, form: str, notes: list[str]) -> list[_Node]:
    top, bottom, left, right = row.padding or (0, 0, 0, 0)
    modules = []
    options = [f"kernel_size={_size(layer.kernel)}"]
    if layer.stride != (1, 1):
        options.append(f"stride={_size(layer.stride)}")
    if top == bottom and left == right:
        if top or left:
            options.append(f"padding={_size((top, left))}")
    else:
        # Conv2d pads both sides of an axis alike: the four sides go in front, the conv itself pads nothing
        modules.append(_Node(f"nn.ZeroPad2d(({left}, {right}, {top}, {bottom}))"))
    if layer.dilation != (1, 1):
        options.append(f"dilation={_size(layer.dilation)}")
    if layer.groups != 1:
        options.append(f"groups={layer.groups}")
    if not layer.bias:
        options.append("bias=False")
    front = "Conv2d pads both sides of an axis alike, so nn.ZeroPad2d pads in front" if modules else None
    notes += _padding_notes(row, layer.padding, layer.stride, front)
    modules.append(_module("nn.Conv2d", str(row.input.c), str(layer.filters), *options))
    if layer.activation:
        modules.append(writer.activation(row, layer.activation))
    return modules


@MODULES.register("maxpool", "avgpool")
def _pool(writer: _Writer, row: LayerResult, layer: Pool, form: str, notes: list[str]) -> list[_Node]:
    """A max or average pool; padding PyTorch's own cannot give goes in front, a window too many is cropped.

    Per axis, the pool pads the smaller side's amount on both sides and the surplus goes in front: so with
    `ceil`, PyTorch's rule for dropping a last window (one that starts past the input and its leading padding)
    sees the same input and leading padding as cnncalc's, where the surplus is before the input.
    """
    top, bottom, left, right = row.padding or (0, 0, 0, 0)
    is_max = layer.kind == "maxpool"
    own = (min(top, bottom), min(left, right))
    surplus = (left - own[1], right - own[1], top - own[0], bottom - own[0])
    modules = []
    if any(surplus):
        sides = ", ".join(map(str, surplus))
        # max pooling never picks -inf, as PyTorch pads it; average pooling counts zeros, as cnncalc does
        pad = f'nn.ConstantPad2d(({sides}), float("-inf"))' if is_max else f"nn.ZeroPad2d(({sides}))"
        modules.append(_Node(pad))
    options = [_size(layer.size)]
    if layer.stride != layer.size:
        options.append(f"stride={_size(layer.stride)}")
    if any(own):
        options.append(f"padding={_size(own)}")
    if layer.ceil:
        options.append("ceil_mode=True")
    if not is_max and (any(own) or any(surplus)):
        options.append("count_include_pad=True")
    modules.append(_module("nn.MaxPool2d" if is_max else "nn.AvgPool2d", *options))
    padded = (row.input.h + surplus[2] + surplus[3], row.input.w + surplus[0] + surplus[1])
    extra = [
        # PyTorch pads both sides alike
        pool_output(padded[axis], layer.size[axis], layer.stride[axis], own[axis], own[axis], layer.ceil) - out
        for axis, out in enumerate((row.output.h, row.output.w))
    ]
    if any(e not in (0, 1) for e in extra):  # never, by the rule above: a refusal rather than a wrong model
        why = f"PyTorch would give {row.output.h + extra[0]} x {row.output.w + extra[1]}, cnncalc {row.output}"
        modules.append(writer.refuse(row, f"the pooled map differs: {why}"))
    elif any(extra):
        # negative padding crops: the last window, which starts in the trailing padding, cnncalc drops
        modules.append(_Node(f"nn.ZeroPad2d((0, {-extra[1]}, 0, {-extra[0]}))"))
        notes += [
            "ceil_mode keeps a last window that starts in the bottom or right padding, which cnncalc",
            "drops (as PyTorch does with its own padding): the negative nn.ZeroPad2d crops it",
        ]
    fill = "-inf, which max never picks" if is_max else "zeros, counted as cnncalc counts padding"
    front = f"a pool pads both sides alike, so the surplus goes in front: {fill}" if any(surplus) else None
    notes[:0] = _padding_notes(row, layer.padding, layer.stride, front)
    return modules


@MODULES.register("globalavgpool", "globalmaxpool")
def _global_pool(writer: _Writer, row: LayerResult, layer: GlobalPool, form: str, notes: list[str]) -> list[_Node]:
    return [_Node("nn.AdaptiveMaxPool2d(1)" if layer.kind == "globalmaxpool" else "nn.AdaptiveAvgPool2d(1)")]


@MODULES.register("flatten")
def _flatten(writer: _Writer, row: LayerResult, layer: Flatten, form: str, notes: list[str]) -> list[_Node]:
    given = row.input
    if form == MAP and given.c > 1 and (given.h, given.w) != (1, 1):
        notes.append("in PyTorch's order (c, h, w); channels-last frameworks take (h, w, c)")
    return [_Node("nn.Flatten()")]


@MODULES.register("dense")
def _dense(writer: _Writer, row: LayerResult, layer: Dense, form: str, notes: list[str]) -> list[_Node]:
    given = row.input
    bias = [] if layer.bias else ["bias=False"]
    modules = [_module("nn.Linear", str(given.h * given.w * given.c), str(layer.units), *bias)]
    if layer.activation:
        modules.append(writer.activation(row, layer.activation))
    return modules


@MODULES.register("batchnorm")
def _batchnorm(writer: _Writer, row: LayerResult, layer: BatchNorm, form: str, notes: list[str]) -> list[_Node]:
    given = row.input
    if form == VECTOR:
        return [_Node(f"nn.BatchNorm1d({given.h * given.w * given.c})")]
    return [_Node(f"nn.BatchNorm2d({given.c})")]


@MODULES.register("zeropad")
def _zeropad(writer: _Writer, row: LayerResult, layer: ZeroPad, form: str, notes: list[str]) -> list[_Node]:
    top, bottom, left, right = layer.padding
    return [_Node(f"nn.ZeroPad2d(({left}, {right}, {top}, {bottom}))")]


@MODULES.register("dropout")
def _dropout(writer: _Writer, row: LayerResult, layer: Dropout, form: str, notes: list[str]) -> list[_Node]:
    return [_Node(f"nn.Dropout({float(layer.rate)!r})")]


@MODULES.register(*ACTIVATIONS)
def _activation(writer: _Writer, row: LayerResult, layer: Activation, form: str, notes: list[str]) -> list[_Node]:
    return [writer.activation(row, layer.kind, option=None)]


# -- per block kind: its module, and the class that module needs -------------------------------------

# a block's module, from a tensor of `form`, its paths made to give an `out` tensor
BLOCK_MODULES = ByKind("export.BLOCK_MODULES", covers="blocks")


@BLOCK_MODULES.register("repeat")
def _repeated(writer: _Writer, row: LayerResult, layer: Repeat, form: str, out: str) -> _Node:
    return _call("nn.Sequential", *writer.path(row.layers, form, out))


@BLOCK_MODULES.register("residual")
def _added(writer: _Writer, row: LayerResult, layer: Residual, form: str, out: str) -> _Node:
    args = [_Arg(writer.branch(row.layers, row.input, form, out, "nn.Sequential()"))]
    if row.shortcut or form != out:
        args.append(_Arg(writer.branch(row.shortcut, row.input, form, out), keyword="shortcut"))
    if layer.activation:
        args.append(_Arg(writer.activation(row, layer.activation), keyword="activation"))
    return _call("Residual", *args)


@BLOCK_MODULES.register("concat")
def _stacked(writer: _Writer, row: LayerResult, layer: Concat, form: str, out: str) -> _Node:
    return _call(
        "Concat",
        *(
            _Arg(writer.branch(branch, row.input, form, out), (f"branch {k}",))
            for k, branch in enumerate(row.branches, start=1)
        ),
    )


# the class a block's module needs defined in the exported module, "" for one of torch's own
CLASSES = ByKind("export.CLASSES", covers="blocks")


@CLASSES.register("repeat")
def _torchs_own() -> str:
    return ""  # nn.Sequential


@CLASSES.register("residual")
def _residual_class() -> str:
    return _RESIDUAL_CLASS


@CLASSES.register("concat")
def _concat_class() -> str:
    return _CONCAT_CLASS


def _padding_notes(row: LayerResult, padding: object, stride: Pair, front: str | None) -> list[str]:
    """What a layer pads where PyTorch's own padding does not say it; `front`: why a module pads in front."""
    if row.padding is None:
        return []
    sides = "({}, {}, {}, {}) top, bottom, left, right".format(*row.padding)
    notes = []
    if padding == "same":
        # at stride 1 the padding is k - 1 whatever the size; at a larger stride it follows the size
        size = f", for this {row.input.h} x {row.input.w} input" if stride != (1, 1) else ""
        notes.append(f"same: ceil(h / s) outputs, padding {sides}{size}")
    elif front:
        notes.append(f"padding {sides}")
    return notes + ([front] if front else [])


def _meet(forms: Sequence[str]) -> str:
    """Where paths meet (an add, a concat) their tensors must have one form: a vector joins maps as 1 x 1."""
    return forms[0] if len(set(forms)) == 1 else MAP


def _reshape(volume: Volume, want: str) -> _Node:
    """A 1 x 1 x n volume turned to the other form: (N, n) to (N, n, 1, 1), or back."""
    if want == VECTOR:
        return _Node("nn.Flatten()")
    return _Node(f"nn.Unflatten(1, ({volume.h * volume.w * volume.c}, 1, 1))")


def export(spec: Spec, report: Report, target: str = "pytorch", source: str | None = None) -> str:
    """The spec written for `target` (one of TARGETS)."""
    if target != "pytorch":
        raise ValueError(f"unknown export target {target!r}: use one of {', '.join(TARGETS)}")
    return to_pytorch(spec, report, source)
