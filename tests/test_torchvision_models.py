"""The plain-PyTorch rebuilds of torchvision's classifiers (torchvision_models.py) have torchvision's counts.

The parameter counts are torchvision's documented ones (`num_params` in each model's weights' meta); all are
trainable. The batchnorm statistics (running_mean and running_var, the figures Keras counts as non-trainable) are
2 x the channels of the model's BatchNorm2d layers, tallied by hand from torchvision's source: MobileNetV3-Large
12,200 channels, EfficientNet-B0 21,008, ShuffleNetV2 x1.0 8,090; ConvNeXt-Tiny has LayerNorms only, which keep
no statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pytest

torch = pytest.importorskip("torch")

import torchvision_models  # noqa: E402  (needs torch)
from torch import Tensor, nn  # noqa: E402


class Counts(NamedTuple):
    build: Callable[[], nn.Module]
    params: int
    trainable: int
    batchnorm_statistics: int


MODELS = {
    "mobilenet_v3_large": Counts(torchvision_models.mobilenet_v3_large, 5_483_032, 5_483_032, 24_400),
    "efficientnet_b0": Counts(torchvision_models.efficientnet_b0, 5_288_548, 5_288_548, 42_016),
    "shufflenet_v2_x1_0": Counts(torchvision_models.shufflenet_v2_x1_0, 2_278_604, 2_278_604, 16_180),
    "convnext_tiny": Counts(torchvision_models.convnext_tiny, 28_589_128, 28_589_128, 0),
}


@pytest.fixture(scope="module", params=list(MODELS))
def model(request: pytest.FixtureRequest) -> tuple[nn.Module, Counts]:
    """Each model, built once for the tests of this file, with the counts it must have."""
    counts = MODELS[request.param]
    torch.manual_seed(0)
    return counts.build(), counts


def test_parameters(model: tuple[nn.Module, Counts]) -> None:
    module, counts = model
    assert sum(p.numel() for p in module.parameters()) == counts.params


def test_trainable_parameters(model: tuple[nn.Module, Counts]) -> None:
    module, counts = model
    assert sum(p.numel() for p in module.parameters() if p.requires_grad) == counts.trainable


def test_batchnorm_statistics(model: tuple[nn.Module, Counts]) -> None:
    module, counts = model
    statistics = [
        buffer.numel()
        for name, buffer in module.named_buffers()
        if name.rsplit(".", 1)[-1] in ("running_mean", "running_var")
    ]
    assert sum(statistics) == counts.batchnorm_statistics
    # each BatchNorm2d keeps a mean and a variance per channel, and nothing else keeps either
    channels = sum(m.num_features for m in module.modules() if isinstance(m, nn.BatchNorm2d))
    assert 2 * channels == counts.batchnorm_statistics


def test_forward_pass(model: tuple[nn.Module, Counts]) -> None:
    module, _ = model
    module.eval()
    with torch.no_grad():
        out = module(torch.randn(1, 3, 224, 224))
    assert out.shape == (1, 1000)


# -- the shipped specs of these networks, row by row ---------------------------------------------------------

from pathlib import Path  # noqa: E402

from cnncalc.engine import analyse  # noqa: E402
from cnncalc.loader import load_file  # noqa: E402

SPECS = Path(__file__).resolve().parent.parent / "specs"


def macs_of(module: nn.Module) -> dict[nn.Module, int]:
    """Each conv's and linear layer's multiply-accumulates in one forward pass of a 224 x 224 image: a MAC per
    weight per output position (a linear layer on channels-last maps, as ConvNeXt's, runs at every position)."""
    found: dict[nn.Module, int] = {}

    def count(part: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        if isinstance(part, nn.Conv2d):
            found[part] = part.weight.numel() * output[0, 0].numel()
        elif isinstance(part, nn.Linear):
            found[part] = part.weight.numel() * (output[0].numel() // part.out_features)

    hooks = [part.register_forward_hook(count) for part in module.modules()]
    with torch.no_grad():
        module.eval()(torch.randn(1, 3, 224, 224))
    for hook in hooks:
        hook.remove()
    return found


def modules_named(name: str | None, modules: dict[str, nn.Module]) -> list[nn.Module]:
    """The model's modules a spec row stands for: the one of its name, or (`features.5-6`, a repeat of identical
    blocks) each of a run of them."""
    if name in modules:
        return [modules[name]]
    prefix, _, run = (name or "").rpartition(".")
    first, _, last = run.partition("-")
    if not (prefix and first.isdigit() and last.isdigit()):
        return []
    return [modules[f"{prefix}.{number}"] for number in range(int(first), int(last) + 1)]


@pytest.mark.parametrize("name", list(MODELS))
def test_the_shipped_spec_matches_the_model_row_by_row(name: str) -> None:
    torch.manual_seed(0)
    model = MODELS[name].build()
    report = analyse(load_file(str(SPECS / f"{name}.yaml")))
    modules = dict(model.named_modules())
    macs = macs_of(model)
    # every top-level row but a pool torchvision computes as a function (ShuffleNet's mean, EfficientNet's pool)
    named = [(row, parts) for row in report.layers if (parts := modules_named(row.name, modules))]
    assert len(named) >= len(report.layers) - 1
    for row, parts in named:
        trainable = sum(p.numel() for part in parts for p in part.parameters())
        statistics = sum(
            b.numel() for part in parts for n, b in part.named_buffers() if n.endswith(("running_mean", "running_var"))
        )
        work = sum(macs.get(inner, 0) for part in parts for inner in part.modules())
        assert (row.trainable_params, row.non_trainable_params, row.macs) == (trainable, statistics, work), row.name
    totals = report.totals
    assert totals.trainable_params == MODELS[name].params
    assert totals.non_trainable_params == MODELS[name].batchnorm_statistics
    assert totals.macs == sum(macs.values())
    assert totals.output == (1, 1, 1000)
