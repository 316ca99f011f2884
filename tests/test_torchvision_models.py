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
from torch import nn  # noqa: E402


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
