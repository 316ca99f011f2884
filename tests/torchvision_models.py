"""Four of torchvision's classifiers rebuilt in plain PyTorch, to check cnncalc's counts against without torchvision.

`mobilenet_v3_large`, `efficientnet_b0`, `shufflenet_v2_x1_0` and `convnext_tiny` build the networks that
torchvision's functions of the same names build with their default arguments (1000 classes, no weights): the
same modules in the same order, with the same hyper-parameters and the same module names, so that each has
torchvision's documented parameter count (5,483,032; 5,288,548; 2,278,604; 28,589,128) and torchvision's
state-dict keys. Each follows torchvision's source (torchvision/models/mobilenetv3.py, efficientnet.py,
shufflenetv2.py and convnext.py, with the helpers of torchvision/ops/misc.py and stochastic_depth.py) and
initialises its weights as torchvision does. Only `torch` is needed: every model maps a batch of
(N, 3, 224, 224) images to (N, 1000) logits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import torch
from torch import Tensor, nn
from torch.nn import functional

NUM_CLASSES = 1000
Factory = Callable[..., nn.Module]


# -- torchvision's building blocks (torchvision/ops, torchvision/models/_utils.py) ----------------------------------


def make_divisible(value: float, divisor: int = 8) -> int:
    """`value` rounded to the nearest multiple of `divisor`, at least `divisor`, and never 10% below `value`."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class Conv2dNormActivation(nn.Sequential):
    """A conv (padded to keep the size at stride 1), a norm layer and an activation, each left out when None.

    The conv has a bias only where there is no norm layer, unless `bias` says otherwise.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | None = None,
        groups: int = 1,
        norm_layer: Factory | None = nn.BatchNorm2d,
        activation_layer: Factory | None = nn.ReLU,
        bias: bool | None = None,
    ) -> None:
        if padding is None:
            padding = (kernel_size - 1) // 2
        if bias is None:
            bias = norm_layer is None
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=bias)
        ]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(inplace=True))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """The input times a per-channel gate: global average pool, 1x1 conv down, activation, 1x1 conv up, gate."""

    def __init__(
        self,
        input_channels: int,
        squeeze_channels: int,
        activation: Factory = nn.ReLU,
        scale_activation: Factory = nn.Sigmoid,
    ) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, input: Tensor) -> Tensor:
        scale: Tensor = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(input)))))
        return scale * input


class StochasticDepth(nn.Module):
    """Stochastic depth, "row" mode: in training, each sample's input is zeroed with probability `p`, else scaled
    by 1 / (1 - p); the identity in evaluation. No parameters."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return input
        survival_rate = 1.0 - self.p
        noise = torch.empty([input.shape[0]] + [1] * (input.ndim - 1), dtype=input.dtype, device=input.device)
        return input * noise.bernoulli_(survival_rate).div_(survival_rate)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode=row"


class Permute(nn.Module):
    """The input's dimensions reordered."""

    def __init__(self, dims: Sequence[int]) -> None:
        super().__init__()
        self.dims = list(dims)

    def forward(self, x: Tensor) -> Tensor:
        return torch.permute(x, self.dims)


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels at each position of an (N, C, H, W) tensor (its normalized_shape is C)."""

    def forward(self, x: Tensor) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        x = functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


# -- MobileNetV3-Large (torchvision/models/mobilenetv3.py) ---------------------------------------------------------

# input channels, kernel, expanded channels, output channels, squeeze-excite, hardswish (else ReLU), stride
MOBILENET_V3_LARGE = [
    (16, 3, 16, 16, False, False, 1),
    (16, 3, 64, 24, False, False, 2),
    (24, 3, 72, 24, False, False, 1),
    (24, 5, 72, 40, True, False, 2),
    (40, 5, 120, 40, True, False, 1),
    (40, 5, 120, 40, True, False, 1),
    (40, 3, 240, 80, False, True, 2),
    (80, 3, 200, 80, False, True, 1),
    (80, 3, 184, 80, False, True, 1),
    (80, 3, 184, 80, False, True, 1),
    (80, 3, 480, 112, True, True, 1),
    (112, 3, 672, 112, True, True, 1),
    (112, 5, 672, 160, True, True, 2),
    (160, 5, 960, 160, True, True, 1),
    (160, 5, 960, 160, True, True, 1),
]


class MobileNetV3InvertedResidual(nn.Module):
    """MobileNetV3's bottleneck: 1x1 expand (where it widens), depthwise conv, squeeze-excite, linear 1x1 project;
    the input is added back where the stride is 1 and the channels agree."""

    def __init__(
        self,
        input_channels: int,
        kernel: int,
        expanded_channels: int,
        out_channels: int,
        use_se: bool,
        use_hs: bool,
        stride: int,
        norm_layer: Factory,
    ) -> None:
        super().__init__()
        self.use_res_connect = stride == 1 and input_channels == out_channels
        activation_layer = nn.Hardswish if use_hs else nn.ReLU
        layers: list[nn.Module] = []
        if expanded_channels != input_channels:
            layers.append(
                Conv2dNormActivation(
                    input_channels, expanded_channels, 1, norm_layer=norm_layer, activation_layer=activation_layer
                )
            )
        layers.append(
            Conv2dNormActivation(
                expanded_channels,
                expanded_channels,
                kernel,
                stride,
                groups=expanded_channels,
                norm_layer=norm_layer,
                activation_layer=activation_layer,
            )
        )
        if use_se:
            squeeze_channels = make_divisible(expanded_channels // 4, 8)
            layers.append(SqueezeExcitation(expanded_channels, squeeze_channels, scale_activation=nn.Hardsigmoid))
        layers.append(
            Conv2dNormActivation(expanded_channels, out_channels, 1, norm_layer=norm_layer, activation_layer=None)
        )
        self.block = nn.Sequential(*layers)
        self.out_channels = out_channels

    def forward(self, input: Tensor) -> Tensor:
        result: Tensor = self.block(input)
        if self.use_res_connect:
            result += input
        return result


class MobileNetV3(nn.Module):
    """MobileNetV3-Large: a 3x3 stem, fifteen bottlenecks, a 1x1 conv to 960, pooling and a two-layer classifier."""

    def __init__(self, num_classes: int = NUM_CLASSES, dropout: float = 0.2) -> None:
        super().__init__()
        norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        layers: list[nn.Module] = [
            Conv2dNormActivation(3, 16, 3, 2, norm_layer=norm_layer, activation_layer=nn.Hardswish)
        ]
        layers += [MobileNetV3InvertedResidual(*setting, norm_layer=norm_layer) for setting in MOBILENET_V3_LARGE]
        last_in = MOBILENET_V3_LARGE[-1][3]
        last_out = 6 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, 1, norm_layer=norm_layer, activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last_channel = make_divisible(1280)
        self.classifier = nn.Sequential(
            nn.Linear(last_out, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))  # type: ignore[no-any-return]


def mobilenet_v3_large() -> MobileNetV3:
    """torchvision.models.mobilenet_v3_large(): 5,483,032 parameters."""
    return MobileNetV3()


# -- EfficientNet-B0 (torchvision/models/efficientnet.py) ----------------------------------------------------------

# expand ratio, kernel, stride, input channels, output channels, blocks in the stage
EFFICIENTNET_B0 = [
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
]


class MBConv(nn.Module):
    """EfficientNet's bottleneck: 1x1 expand (where it widens), depthwise conv, squeeze-excite to a quarter of the
    block's input channels, linear 1x1 project, all SiLU; the input is added back (after stochastic depth) where
    the stride is 1 and the channels agree."""

    def __init__(
        self,
        expand_ratio: int,
        kernel: int,
        stride: int,
        input_channels: int,
        out_channels: int,
        stochastic_depth_prob: float,
        norm_layer: Factory,
    ) -> None:
        super().__init__()
        self.use_res_connect = stride == 1 and input_channels == out_channels
        expanded_channels = make_divisible(input_channels * expand_ratio, 8)
        layers: list[nn.Module] = []
        if expanded_channels != input_channels:
            layers.append(
                Conv2dNormActivation(
                    input_channels, expanded_channels, 1, norm_layer=norm_layer, activation_layer=nn.SiLU
                )
            )
        layers.append(
            Conv2dNormActivation(
                expanded_channels,
                expanded_channels,
                kernel,
                stride,
                groups=expanded_channels,
                norm_layer=norm_layer,
                activation_layer=nn.SiLU,
            )
        )
        squeeze_channels = max(1, input_channels // 4)
        layers.append(SqueezeExcitation(expanded_channels, squeeze_channels, activation=partial(nn.SiLU, inplace=True)))
        layers.append(
            Conv2dNormActivation(expanded_channels, out_channels, 1, norm_layer=norm_layer, activation_layer=None)
        )
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob)
        self.out_channels = out_channels

    def forward(self, input: Tensor) -> Tensor:
        result: Tensor = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class EfficientNet(nn.Module):
    """EfficientNet-B0: a 3x3 stem, seven stages of MBConv blocks, a 1x1 conv to 1280, pooling, dropout, linear."""

    def __init__(
        self, num_classes: int = NUM_CLASSES, dropout: float = 0.2, stochastic_depth_prob: float = 0.2
    ) -> None:
        super().__init__()
        norm_layer = nn.BatchNorm2d
        layers: list[nn.Module] = [
            Conv2dNormActivation(3, EFFICIENTNET_B0[0][3], 3, 2, norm_layer=norm_layer, activation_layer=nn.SiLU)
        ]
        total_blocks = sum(setting[5] for setting in EFFICIENTNET_B0)
        block_id = 0
        for expand_ratio, kernel, stride, input_channels, out_channels, num_layers in EFFICIENTNET_B0:
            stage: list[nn.Module] = []
            for index in range(num_layers):
                # the stage's first block takes its input channels and stride; the others keep the size
                block_in, block_stride = (input_channels, stride) if index == 0 else (out_channels, 1)
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(MBConv(expand_ratio, kernel, block_stride, block_in, out_channels, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = EFFICIENTNET_B0[-1][4]
        last_out = 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, 1, norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(last_out, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / m.out_features**0.5
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))  # type: ignore[no-any-return]


def efficientnet_b0() -> EfficientNet:
    """torchvision.models.efficientnet_b0(): 5,288,548 parameters."""
    return EfficientNet()


# -- ShuffleNetV2 x1.0 (torchvision/models/shufflenetv2.py) --------------------------------------------------------


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """The channels read as a (groups, C / groups) matrix and transposed: channel j of group i moves to j groups + i."""
    batch, channels, height, width = x.size()
    x = x.view(batch, groups, channels // groups, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batch, -1, height, width)


def depthwise_conv(channels: int, stride: int) -> nn.Conv2d:
    """A bias-free 3x3 depthwise conv, padded by 1."""
    return nn.Conv2d(channels, channels, 3, stride, 1, bias=False, groups=channels)


class ShuffleNetV2InvertedResidual(nn.Module):
    """ShuffleNetV2's unit. At stride 1 the channels split in two halves: the first passes as it is, the second
    through branch2 (1x1, depthwise 3x3, 1x1); at stride 2 both branches see the whole input and halve the size.
    The two are concatenated, then the channels shuffled in two groups."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if stride == 1 and inp != 2 * (oup // 2):
            raise ValueError(f"a unit of stride 1 needs {2 * (oup // 2)} input channels, not {inp}")
        self.stride = stride
        branch_features = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                depthwise_conv(inp, stride),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch_features, branch_features, 1, 1, 0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            depthwise_conv(branch_features, stride),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, 1, 1, 0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2 x1.0: 3x3 stem and max pool, three stages (4, 8, 4 units), a 1x1 conv to 1024, mean, linear."""

    def __init__(
        self,
        stages_repeats: Sequence[int] = (4, 8, 4),
        stages_out_channels: Sequence[int] = (24, 116, 232, 464, 1024),
        num_classes: int = NUM_CLASSES,
    ) -> None:
        super().__init__()
        input_channels = stages_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, input_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(input_channels),
            nn.ReLU(inplace=True),
        )
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        stages = []
        for repeats, output_channels in zip(stages_repeats, stages_out_channels[1:-1], strict=True):
            units = [ShuffleNetV2InvertedResidual(input_channels, output_channels, 2)]
            units += [ShuffleNetV2InvertedResidual(output_channels, output_channels, 1) for _ in range(repeats - 1)]
            stages.append(nn.Sequential(*units))
            input_channels = output_channels
        self.stage2, self.stage3, self.stage4 = stages
        output_channels = stages_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(output_channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean([2, 3]))  # type: ignore[no-any-return]


def shufflenet_v2_x1_0() -> ShuffleNetV2:
    """torchvision.models.shufflenet_v2_x1_0(): 2,278,604 parameters."""
    return ShuffleNetV2()


# -- ConvNeXt-Tiny (torchvision/models/convnext.py) ----------------------------------------------------------------

# channels, channels after the downsampling that follows (None: the last stage), blocks in the stage
CONVNEXT_TINY: list[tuple[int, int | None, int]] = [(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)]


class CNBlock(nn.Module):
    """ConvNeXt's block: depthwise 7x7 conv, channels-last LayerNorm, linear to 4 C, GELU, linear back to C, times a
    learned per-channel layer scale (initialised `layer_scale`), stochastic depth, plus the input."""

    def __init__(self, dim: int, layer_scale: float, stochastic_depth_prob: float) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            nn.LayerNorm(dim, eps=1e-6),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob)

    def forward(self, input: Tensor) -> Tensor:
        result: Tensor = self.layer_scale * self.block(input)
        result = self.stochastic_depth(result)
        result += input
        return result


class ConvNeXt(nn.Module):
    """ConvNeXt-Tiny: a 4x4/4 stem conv and LayerNorm, four stages of CNBlocks (3, 3, 9, 3) with a LayerNorm and a
    2x2/2 conv between them, then pooling, LayerNorm, flatten and linear."""

    def __init__(
        self, num_classes: int = NUM_CLASSES, stochastic_depth_prob: float = 0.1, layer_scale: float = 1e-6
    ) -> None:
        super().__init__()
        norm_layer = partial(LayerNorm2d, eps=1e-6)
        first_channels = CONVNEXT_TINY[0][0]
        layers: list[nn.Module] = [
            Conv2dNormActivation(
                3, first_channels, 4, 4, padding=0, norm_layer=norm_layer, activation_layer=None, bias=True
            )
        ]
        total_blocks = sum(num_layers for _, _, num_layers in CONVNEXT_TINY)
        block_id = 0
        for channels, out_channels, num_layers in CONVNEXT_TINY:
            stage: list[nn.Module] = []
            for _ in range(num_layers):
                sd_prob = stochastic_depth_prob * block_id / (total_blocks - 1.0)
                stage.append(CNBlock(channels, layer_scale, sd_prob))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if out_channels is not None:
                layers.append(
                    nn.Sequential(norm_layer(channels), nn.Conv2d(channels, out_channels, kernel_size=2, stride=2))
                )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last_channels = CONVNEXT_TINY[-1][0]
        self.classifier = nn.Sequential(norm_layer(last_channels), nn.Flatten(1), nn.Linear(last_channels, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)))  # type: ignore[no-any-return]


def convnext_tiny() -> ConvNeXt:
    """torchvision.models.convnext_tiny(): 28,589,128 parameters."""
    return ConvNeXt()
