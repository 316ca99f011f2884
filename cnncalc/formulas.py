"""The lecture's arithmetic along one axis: output sizes, SAME padding, effective kernels, all in integers.

Each formula is written once, here, and used by the engine, the one-layer queries, `pad`, the framework rules of
`check`, `apply` and `--explain` alike.
"""

from __future__ import annotations

from .record import Record
from .words import counted

AXES = ("height", "width")


class ShapeError(ValueError):
    """A layer that cannot be applied to its input, e.g. a kernel larger than the padded input."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option  # the spec option at fault, where the caller knows it


def ceil_div(a: int, b: int) -> int:
    """`ceil(a / b)` in integers, negative `a` included."""
    return -(-a // b)


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The span a dilated kernel covers: `d (f - 1) + 1`."""
    return dilation * (kernel - 1) + 1


def conv_output(
    size: int, kernel: int, stride: int = 1, pad_before: int = 0, pad_after: int = 0, dilation: int = 1
) -> int:
    """`floor((h + p_before + p_after - k) / s) + 1`, the lecture's `(h + 2p - f) / s + 1`."""
    k = effective_kernel(kernel, dilation)
    padded = size + pad_before + pad_after
    if padded < k:
        raise ShapeError(_too_large(size, kernel, dilation, pad_before, pad_after))
    # floor, as the frameworks do: a last partial window is dropped
    return (padded - k) // stride + 1


def pool_output(
    size: int, kernel: int, stride: int, pad_before: int = 0, pad_after: int = 0, ceil: bool = False, dilation: int = 1
) -> int:
    """A pooling window count; with `ceil` the last window may hang past the padded input (PyTorch `ceil_mode`)."""
    if not ceil:
        return conv_output(size, kernel, stride, pad_before, pad_after, dilation)
    out = ceil_div(size + pad_before + pad_after - effective_kernel(kernel, dilation), stride) + 1
    # PyTorch drops a last window that would start beyond the input and its leading padding
    if (out - 1) * stride >= size + pad_before:
        out -= 1
    if out < 1:
        raise ShapeError(_too_large(size, kernel, dilation, pad_before, pad_after))
    return out


def padding_for(size: int, kernel: int, stride: int, wanted: int, dilation: int = 1) -> tuple[int, int] | None:
    """The least zero padding that gives `wanted` outputs, split with the odd one after (as TensorFlow splits
    SAME's); None where no padding does, the output without any being already larger.

    `floor((h + P - k) / s) + 1 = wanted` holds for `(wanted - 1) s <= h + P - k < wanted s`.
    """
    k = effective_kernel(kernel, dilation)
    total = max((wanted - 1) * stride + k - size, 0)
    if size + total - k >= wanted * stride:
        return None
    return total // 2, total - total // 2


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME: `out = ceil(h / s)`, the padding it needs split with the odd one after."""
    padding = padding_for(size, kernel, stride, ceil_div(size, stride), dilation)
    assert padding is not None  # ceil(h / s) windows always fit: (out - 1) s < h
    return padding


def transposed_output(
    size: int,
    kernel: int,
    stride: int = 1,
    pad_before: int = 0,
    pad_after: int = 0,
    dilation: int = 1,
    output_padding: int = 0,
) -> int:
    """A transposed conv's output, as PyTorch's: `(h - 1) s - (p_before + p_after) + d (k - 1) + output_padding + 1`."""
    if output_padding >= max(stride, dilation):
        raise ShapeError(
            f"output_padding {output_padding} must be below the stride ({stride}) or the dilation ({dilation})",
            "output_padding",
        )
    spread = (size - 1) * stride + effective_kernel(kernel, dilation) + output_padding
    if spread <= pad_before + pad_after:
        raise ShapeError(
            f"the padding cut ({pad_before} + {pad_after}) leaves nothing of the {counted(spread, 'output')} "
            f"((h - 1) s + d (k - 1) + 1 + output_padding)",
            "padding",
        )
    return spread - pad_before - pad_after


def transposed_same_padding(kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Keras's `same` for a transposed conv (output h s): the `k - s` cut split with the odd one after."""
    k = effective_kernel(kernel, dilation)
    if k < stride:
        raise ShapeError(
            f"`same` needs the kernel ({k}) at least as wide as the stride ({stride}): it cuts k - s from the output",
            "padding",
        )
    cut = k - stride
    return cut // 2, cut - cut // 2


def _too_large(size: int, kernel: int, dilation: int, pad_before: int, pad_after: int) -> str:
    k = effective_kernel(kernel, dilation)
    span = f"kernel {kernel}" if dilation == 1 else f"dilated kernel {k} (kernel {kernel}, dilation {dilation})"
    padded = (
        f"{size + pad_before + pad_after} ({size} + {pad_before} + {pad_after})"
        if pad_before or pad_after
        else str(size)
    )
    return f"{span} is larger than the padded input {padded}"


class Axis(Record):
    """One axis of a windowed layer, resolved: output size, padding applied, and input rows the floor drops."""

    out: int
    pad_before: int
    pad_after: int
    unused: int


def resolve_axis(
    size: int, kernel: int, stride: int, dilation: int, padding: str | tuple[int, int], ceil: bool = False
) -> Axis:
    """One axis of a conv or pool: `padding` is `same`, `valid` or (before, after)."""
    if padding == "same":
        before, after = same_padding(size, kernel, stride, dilation)
        return Axis(ceil_div(size, stride), before, after, 0)
    before, after = padding if isinstance(padding, tuple) else (0, 0)
    if ceil:
        return Axis(pool_output(size, kernel, stride, before, after, ceil=True, dilation=dilation), before, after, 0)
    out = conv_output(size, kernel, stride, before, after, dilation)
    # the last window stops short of the padded input's end; what it leaves of the real input goes unused
    leftover = (size + before + after - effective_kernel(kernel, dilation)) % stride
    return Axis(out, before, after, max(leftover - after, 0))
