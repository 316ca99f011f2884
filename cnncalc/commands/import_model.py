"""`cnncalc import`: a spec from a model, an ONNX file or (where PyTorch is installed) a factory that builds one."""

from __future__ import annotations

import os
import tempfile

import click

from ..cli import Command, VolumeType
from ..diagnostics import SpecError, error
from ..spec import Volume

EXAMPLE = "Example: cnncalc import resnet18.onnx -o resnet18.yaml"


@click.command(cls=Command, epilog=EXAMPLE)
@click.argument("model", metavar="MODEL")
@click.option(
    "-o",
    "--output",
    default="-",
    metavar="FILE",
    help="Write the spec to FILE, whole or not at all (-, the default: standard output).",
)
@click.option(
    "--input",
    "input_volume",
    type=VolumeType(),
    metavar="HxWxC",
    help="The input's size, where the model leaves it open (LxC in 1-D, DxHxWxC in 3-D).",
)
@click.option(
    "--skip-unknown",
    is_flag=True,
    help="Keep an operator cnncalc has no layer for as a layer that changes nothing, where the shapes prove it "
    "keeps its input's shape; a warning each.",
)
def import_model(model: str, output: str, input_volume: Volume | None, skip_unknown: bool) -> None:
    """Write a cnncalc spec of an ONNX model: a layer per node that computes on the map, named after it.

    MODEL is an ONNX file, or PACKAGE.MODULE:FACTORY, a function that returns a torch.nn.Module, which is called
    and exported to ONNX first (PyTorch needed; give --input). Nothing runs but the factory named. An operator
    with no counterpart, or a size known only when the graph runs, is an error naming every such node. Reading
    ONNX needs the onnx package: pip install 'cnncalc[onnx]'. Exit codes: 0 done, 2 the model cannot be read or
    has an operator cnncalc cannot translate.
    """
    from ..onnx_import import import_onnx
    from ..output import write_output

    try:
        if os.path.exists(model) or ":" not in model:
            text = import_onnx(model, input_volume, skip_unknown)
            source: str | None = model
        else:
            with tempfile.TemporaryDirectory(prefix="cnncalc-import-") as folder:
                path = os.path.join(folder, "model.onnx")
                _export_factory(model, input_volume, path)
                text = import_onnx(path, input_volume, skip_unknown).replace(
                    "from model.onnx", f"from {model} (exported by torch.onnx)", 1
                )
            source = None
    except SpecError as exc:
        exc.source = model
        raise
    for line in text.splitlines():
        if line.startswith("# warning: "):
            click.echo(f"{model}: warning: {line.removeprefix('# warning: ')}", err=True)
    write_output(text.encode("utf-8"), output, source)


def _export_factory(name: str, input_volume: Volume | None, path: str) -> None:
    """Build the model PACKAGE.MODULE:FACTORY names and export it to ONNX at `path`, in training mode: in eval
    mode the exporter folds each batchnorm into the conv before it, which changes the network it writes."""
    import contextlib
    import importlib
    import io
    import warnings

    if input_volume is None:
        raise click.UsageError("a factory is called and run once: give its input's size with --input HxWxC")
    module_name, _, attribute = name.partition(":")
    try:
        import torch
    except ImportError:
        raise SpecError([error("import", "importing a factory needs PyTorch (and onnx)")]) from None
    import sys

    # the module named, found as `python -m` would find it: from the current folder first
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
        model = factory()
    except Exception as exc:
        raise SpecError([error("import", f"{name}: {type(exc).__name__}: {exc}")]) from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    if not isinstance(model, torch.nn.Module):
        raise SpecError([error("import", f"{name} returned a {type(model).__name__}, not a torch.nn.Module")])
    model.train()
    example = torch.zeros(1, input_volume.c, *input_volume.spatial)
    try:
        # the exporter's notes and deprecation warnings are torch's to say, not the import's
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example,),
                path,
                dynamo=False,
                training=torch.onnx.TrainingMode.TRAINING,
                do_constant_folding=False,
            )
    except Exception as exc:
        raise SpecError(
            [error("import", f"torch.onnx.export fails on {name}: {str(exc).splitlines()[0][:300]}")]
        ) from None
