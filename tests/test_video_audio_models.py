"""The 1-D and 3-D specs shipped, C3D and WaveNet, against plain-PyTorch models of them.

C3D as the PyTorch port of the Caffe model builds it (jfzhang95/pytorch-video-recognition, `C3D_model.py`): eight
3 x 3 x 3 convs, pool5 padded (0, 1, 1), fc6 on 8,192 values; 79,991,015 parameters with Sports-1M's 487 classes,
the count the issue states. WaveNet as ibab/tensorflow-wavenet builds one stack with its default channels: a 1 x 1
input projection, ten gated residual layers of kernel 2 at dilations 1 to 512, padded on the left only (causal), skip
1 x 1 convs summed, two 1 x 1 convs to the logits; its receptive field is 1,024 samples, as the paper states.

Each model is run forward; every named row of the spec has the parameters and MACs of the module of its name, the
output the shape PyTorch gives, and the receptive field of the last layer what the gradients say: the input
positions with a non-zero gradient from one output (float64, every weight positive, max pools as average pools,
no activations) span exactly cnncalc's window of that output on every axis.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from torch import Tensor, nn  # noqa: E402

from cnncalc.engine import analyse  # noqa: E402
from cnncalc.loader import load_file  # noqa: E402
from cnncalc.report import Report  # noqa: E402
from cnncalc.spec import Volume  # noqa: E402

SPECS = Path(__file__).resolve().parent.parent / "specs"


class C3D(nn.Module):
    """C3D: `activation` and `pool` are swapped for the identity and average pools in the gradient test."""

    def __init__(
        self,
        classes: int = 487,
        activation: type[nn.Module] = nn.ReLU,
        pool: type[nn.Module] = nn.MaxPool3d,
        head: bool = True,
    ) -> None:
        super().__init__()
        self.conv1a = nn.Conv3d(3, 64, kernel_size=3, padding=1)
        self.pool1 = pool(kernel_size=(1, 2, 2), stride=(1, 2, 2))
        self.conv2a = nn.Conv3d(64, 128, kernel_size=3, padding=1)
        self.pool2 = pool(kernel_size=2, stride=2)
        self.conv3a = nn.Conv3d(128, 256, kernel_size=3, padding=1)
        self.conv3b = nn.Conv3d(256, 256, kernel_size=3, padding=1)
        self.pool3 = pool(kernel_size=2, stride=2)
        self.conv4a = nn.Conv3d(256, 512, kernel_size=3, padding=1)
        self.conv4b = nn.Conv3d(512, 512, kernel_size=3, padding=1)
        self.pool4 = pool(kernel_size=2, stride=2)
        self.conv5a = nn.Conv3d(512, 512, kernel_size=3, padding=1)
        self.conv5b = nn.Conv3d(512, 512, kernel_size=3, padding=1)
        self.pool5 = pool(kernel_size=2, stride=2, padding=(0, 1, 1))
        self.act = activation()
        if head:
            self.fc6 = nn.Linear(8192, 4096)
            self.fc7 = nn.Linear(4096, 4096)
            self.fc8 = nn.Linear(4096, classes)

    def features(self, x: Tensor) -> Tensor:
        x = self.pool1(self.act(self.conv1a(x)))
        x = self.pool2(self.act(self.conv2a(x)))
        x = self.pool3(self.act(self.conv3b(self.act(self.conv3a(x)))))
        x = self.pool4(self.act(self.conv4b(self.act(self.conv4a(x)))))
        pooled: Tensor = self.pool5(self.act(self.conv5b(self.act(self.conv5a(x)))))
        return pooled

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x).flatten(1)
        logits: Tensor = self.fc8(self.act(self.fc7(self.act(self.fc6(x)))))
        return logits


class GatedLayer(nn.Module):
    """One WaveNet layer: tanh(filter) * sigmoid(gate), each a causal kernel-2 conv at dilation `d`."""

    def __init__(self, residual: int, skip: int, dilation: int, last: bool = False, gates: bool = True) -> None:
        super().__init__()
        self.dilation = dilation
        self.filter = nn.Conv1d(residual, residual, kernel_size=2, dilation=dilation)
        self.gate = nn.Conv1d(residual, residual, kernel_size=2, dilation=dilation)
        self.skip = nn.Conv1d(residual, skip, kernel_size=1)
        # the last layer's residual output is read by nothing: ibab builds it, the spec leaves it out
        self.residual = None if last else nn.Conv1d(residual, residual, kernel_size=1)
        self.gates = gates

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        padded = nn.functional.pad(x, (self.dilation, 0))  # causal: the past only
        if self.gates:
            z = torch.tanh(self.filter(padded)) * torch.sigmoid(self.gate(padded))
        else:  # linear, for the gradients: the same windows, neither saturating nor overflowing
            z = self.filter(padded) + self.gate(padded)
        return (x if self.residual is None else x + self.residual(z)), self.skip(z)


class WaveNet(nn.Module):
    def __init__(self, quantization: int = 256, residual: int = 32, skip: int = 512, gates: bool = True) -> None:
        super().__init__()
        self.projection = nn.Conv1d(quantization, residual, kernel_size=1)
        dilations = [2**i for i in range(10)]
        self.layers = nn.ModuleList(
            GatedLayer(residual, skip, d, last=d == dilations[-1], gates=gates) for d in dilations
        )
        self.post = nn.Conv1d(skip, skip, kernel_size=1)
        self.logits = nn.Conv1d(skip, quantization, kernel_size=1)
        self.gates = gates

    def forward(self, x: Tensor) -> Tensor:
        x = self.projection(x)
        skips = []
        for layer in self.layers:
            x, skip = layer(x)
            skips.append(skip)
        total = torch.stack(skips).sum(0)
        post = torch.relu(self.post(torch.relu(total))) if self.gates else self.post(total)
        logits: Tensor = self.logits(post)
        return logits


def report_of(name: str) -> Report:
    return analyse(load_file(str(SPECS / f"{name}.yaml")))


def params(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def test_c3d_has_the_published_count_and_every_row_its_module() -> None:
    torch.manual_seed(0)
    model = C3D()
    report = report_of("c3d")
    assert params(model) == report.totals.trainable_params == 79_991_015
    named = {row.name: row for row in report.layers if row.name}
    for name, module in model.named_children():
        if name in named:
            assert named[name].params == params(module), name
    assert {name for name, _ in model.named_children()} - set(named) == {"act"}


@pytest.fixture(scope="module")
def c3d_run() -> tuple[dict[str, tuple[int, ...]], dict[str, int], tuple[int, ...]]:
    """C3D run forward once on a 16 x 112 x 112 clip: each named module's output shape and MACs (a multiply per
    weight per output position), and the logits' shape."""
    model = C3D()
    shapes: dict[str, tuple[int, ...]] = {}
    macs: dict[str, int] = {}

    def seen(name: str, module: nn.Module, output: Tensor) -> None:
        shapes[name] = tuple(output.shape)
        if isinstance(module, (nn.Conv3d, nn.Linear)):
            macs[name] = module.weight.numel() * output[0, 0].numel()

    hooks = [
        module.register_forward_hook(lambda m, i, o, name=name: seen(name, m, o))
        for name, module in model.named_children()
    ]
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 16, 112, 112))
    for hook in hooks:
        hook.remove()
    return shapes, macs, tuple(out.shape)


def test_c3d_shapes_match_pytorch_row_by_row(
    c3d_run: tuple[dict[str, tuple[int, ...]], dict[str, int], tuple[int, ...]],
) -> None:
    shapes, _, out = c3d_run
    report = report_of("c3d")
    rows = {row.name: row for row in report.layers if row.name}
    assert out == (1, 487) and report.totals.output == (1, 1, 1, 487)
    assert set(rows) <= set(shapes)
    for name, row in rows.items():
        # PyTorch is channels first, N C D H W; cnncalc writes D x H x W x C, a dense layer's vector 1 x 1 x 1 x n
        expected = (1, row.output.c, *row.output.spatial) if len(shapes[name]) == 5 else (1, row.output.c)
        assert shapes[name] == expected, name


def test_c3d_macs_are_a_multiply_per_weight_per_output(
    c3d_run: tuple[dict[str, tuple[int, ...]], dict[str, int], tuple[int, ...]],
) -> None:
    _, macs, _ = c3d_run
    report = report_of("c3d")
    rows = {row.name: row for row in report.layers if row.name}
    for name, count in macs.items():
        assert rows[name].macs == count, name
    assert report.totals.macs == sum(macs.values())


def test_wavenet_every_layer_has_its_modules_parameters() -> None:
    torch.manual_seed(0)
    model = WaveNet()
    report = report_of("wavenet")
    assert report.totals.trainable_params == params(model)
    rows = {row.name: row for row in report.layers if row.name}
    assert rows["projection"].params == params(model.projection)
    layers: list[GatedLayer] = list(model.layers)  # type: ignore[arg-type]
    for number, layer in enumerate(layers, start=1):
        assert rows[f"gated{number}"].params == params(layer.filter) + params(layer.gate)
        assert rows[f"skip{number}"].params == params(layer.skip)
    residuals = [row for row in report.layers if row.kind == "conv" and row.name is None and row.config == "32 k1"]
    assert [row.params for row in residuals] == [params(layer.residual) for layer in layers[:-1]]
    assert rows["logits"].params == params(model.logits)


def test_wavenet_keeps_the_length_as_pytorch_does() -> None:
    assert report_of("wavenet").totals.output == (16000, 256)
    model = WaveNet()
    for length in (1, 1000, 4001):  # any length, as the causal padding keeps every one
        report = analyse(load_file(str(SPECS / "wavenet.yaml"), Volume(length, 256)))
        with torch.no_grad():
            out = model(torch.zeros(1, 256, length))
        assert tuple(out.shape) == (1, 256, length) and report.totals.output == (length, 256)


def test_wavenet_sees_1024_samples_of_the_past_and_none_of_the_future() -> None:
    report = report_of("wavenet")
    assert report.totals.receptive_field == (1024,) and report.totals.jump == (1,)
    assert report.layers[-1].effective_padding == (1023,)
    # the windows do not depend on the channels: 8 quantization levels keep the float64 pass light
    model = WaveNet(quantization=8, gates=False)
    positive(model)
    length = 3000
    x = torch.zeros(1, 8, length, dtype=torch.float64, requires_grad=True)
    out = model(x)
    field = report.layers[-1].fields[0]
    for o in (1500, 2047, length - 1):
        (grad,) = torch.autograd.grad(out[0, :, o].sum(), x, retain_graph=True)
        seen = grad[0].abs().sum(0).nonzero().flatten()
        assert (int(seen[0]), int(seen[-1])) == field.at(o) == (o - 1023, o)


def test_c3d_fields_are_the_gradients_on_every_axis() -> None:
    # a smaller clip keeps the float64 pass light; the windows depend on positions, not on the input's size
    clip = Volume(16, 32, 32, 3)
    report = analyse(load_file(str(SPECS / "c3d.yaml"), clip))
    pool5 = next(row for row in report.layers if row.name == "pool5")
    model = C3D(activation=nn.Identity, pool=nn.AvgPool3d, head=False)
    positive(model)
    x = torch.zeros(1, 3, *clip.spatial, dtype=torch.float64, requires_grad=True)
    out = model.features(x)
    assert tuple(out.shape[2:]) == pool5.output.spatial == (1, 2, 2)
    for index in ((0, 0, 0), (0, 0, 1), (0, 1, 1)):
        (grad,) = torch.autograd.grad(out[0, :, index[0], index[1], index[2]].sum(), x, retain_graph=True)
        seen = grad[0].abs().sum(0).nonzero()
        for axis, o in enumerate(index):
            window = pool5.fields[axis].at(o)
            assert window is not None
            # the gradient lies in the input; cnncalc's window may reach into the padding around it
            inside = (max(window[0], 0), min(window[1], clip.spatial[axis] - 1))
            assert (int(seen[:, axis].min()), int(seen[:, axis].max())) == inside, (index, axis)


def positive(model: nn.Module) -> None:
    """float64, every weight and bias positive: no gradient cancels, so every position read shows."""
    model.double()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.rand_like(parameter) + 0.1)
