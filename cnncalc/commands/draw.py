"""`cnncalc draw`: a picture of the network's volumes, as SVG, or as PNG or PDF where an SVG renderer is at hand."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable

import click

from ..cli import Command, Size, SpecArgument
from ..diagnostics import Refused
from ..record import Record

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PDF_SIGNATURE = b"%PDF-"
WIDTH = 1600  # the default page, draw.WIDTH: written here so that --help does not import the drawing
RENDER_TIMEOUT = 120  # seconds; a renderer that takes longer is taken to have failed
INSTALL_HINT = (
    "install one of: librsvg's rsvg-convert (apt-get install librsvg2-bin, brew install librsvg), "
    "Inkscape, ImageMagick with SVG support, or the Python package cairosvg (pip install cairosvg); "
    "or write an SVG: -o NAME.svg"
)
PDF_HINT = (
    "install librsvg's rsvg-convert (apt-get install librsvg2-bin, brew install librsvg), or write an SVG: -o NAME.svg"
)
ON_A_TERMINAL = (
    "the picture is SVG text, not for a terminal: write it to a file with -o net.svg (or -o net.pdf, -o net.png),"
    " or send it on: cnncalc draw SPEC > net.svg"
)


class Renderer(Record):
    """One way of turning an SVG file into a PNG or PDF file: `render(svg_path, out_path)` raises on failure."""

    name: str
    render: Callable[[str, str], None]


def _command(*argv: str) -> Callable[[str, str], None]:
    """A renderer run as a program; `{svg}` and `{out}` in `argv` stand for the two files."""

    def render(svg: str, out: str) -> None:
        done = subprocess.run(
            [arg.format(svg=svg, out=out) for arg in argv],
            capture_output=True,
            text=True,
            timeout=RENDER_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            raise RuntimeError(said[-1] if said else f"exit code {done.returncode}")

    return render


def _cairosvg(svg: str, png: str) -> None:
    import cairosvg  # type: ignore[import-not-found, unused-ignore]

    cairosvg.svg2png(url=svg, write_to=png)


# executables, tried in this order where they are on PATH; `convert` may be something else by that name
PROGRAMS = (
    ("rsvg-convert", ("rsvg-convert", "--format", "png", "--output", "{out}", "{svg}")),
    ("inkscape", ("inkscape", "{svg}", "--export-type=png", "--export-filename={out}")),
    ("magick", ("magick", "{svg}", "{out}")),
    ("convert", ("convert", "{svg}", "{out}")),
)
PDF_PROGRAM = ("rsvg-convert", "--format", "pdf", "--output", "{out}", "{svg}")


def renderers() -> list[Renderer]:
    """The SVG renderers found here, best first: the cairosvg module if it imports, then programs on PATH.

    Finding one is no promise that it renders SVG (an ImageMagick without an SVG delegate, or a stand-in
    named `convert`): `to_png` checks that a real PNG came out.
    """
    found = []
    try:
        import cairosvg  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except (ImportError, OSError):  # OSError: the module is there, the cairo library it loads is not
        pass
    else:
        found.append(Renderer("cairosvg", _cairosvg))
    for name, argv in PROGRAMS:
        if shutil.which(name):
            found.append(Renderer(name, _command(*argv)))
    return found


class NoRenderer(Exception):
    """No renderer here turned the SVG into a PNG; the message says what was tried and what to install."""


def to_pdf(svg: str, path: str) -> bytes:
    """`svg` as a PDF for `path`, by rsvg-convert (a page the size of the picture, its text as text); made in a
    folder that goes with it and read back whole, to be written to `path` as every output is (see `output`)."""
    if not shutil.which(PDF_PROGRAM[0]):
        raise NoRenderer(f"no rsvg-convert found to make {path}: {PDF_HINT}")
    with tempfile.TemporaryDirectory(prefix="cnncalc-draw-") as scratch:
        source, target = os.path.join(scratch, "picture.svg"), os.path.join(scratch, "picture.pdf")
        with open(source, "w", encoding="utf-8") as file:
            file.write(svg)
        try:
            _command(*PDF_PROGRAM)(source, target)
            with open(target, "rb") as made:
                pdf = made.read()
            if not pdf.startswith(PDF_SIGNATURE):
                raise RuntimeError("did not write a PDF")
        except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
            raise NoRenderer(f"rsvg-convert could not make {path}: {exc}") from None
    return pdf


def to_png(svg: str, path: str, available: list[Renderer]) -> bytes:
    """`svg` as a PNG for `path`, by the first renderer that really makes one.

    The renderers work in a folder that goes with them; what one made is read back whole, to be written to `path`
    as every output is (see `output`).
    """
    tried = []
    with tempfile.TemporaryDirectory(prefix="cnncalc-draw-") as scratch:
        source = os.path.join(scratch, "picture.svg")
        with open(source, "w", encoding="utf-8") as file:
            file.write(svg)
        for renderer in available:
            target = os.path.join(scratch, f"picture-{renderer.name}.png")
            try:
                renderer.render(source, target)
                if not os.path.exists(target):
                    raise RuntimeError("wrote no file")
                with open(target, "rb") as made:
                    png = made.read()
                if not png.startswith(PNG_SIGNATURE):
                    raise RuntimeError("did not write a PNG")
            except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
                tried.append(f"{renderer.name}: {exc}")
                continue
            return png
    if not tried:
        raise NoRenderer(f"no SVG renderer found to make {path}: {INSTALL_HINT}")
    raise NoRenderer(f"no SVG renderer here could make {path} ({'; '.join(tried)}): {INSTALL_HINT}")


@click.command(cls=Command, epilog="Example: cnncalc draw specs/resnet18.yaml -o resnet18.svg")
@click.argument("spec", metavar="SPEC", cls=SpecArgument)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Where to write the picture: NAME.svg, NAME.pdf where rsvg-convert is installed, or NAME.png where an SVG"
    " renderer is; - writes the SVG to standard output, as happens without -o when standard output is no terminal.",
)
@click.option(
    "--depth",
    type=Size(0),
    help="Fold blocks nested deeper than N into one box each (0: the spec's own layers only).",
)
@click.option(
    "--width",
    type=Size(0),
    default=WIDTH,
    show_default=True,
    metavar="PX",
    help="The widest the picture may be, in pixels: the layers flow into rows that fit it, top to bottom (0: all on"
    " one row).",
)
def draw(spec: str, output: str | None, depth: int | None, width: int) -> None:
    """Draw the network as the lecture's slides do: a box per layer output, its height, depth and width
    scaled (log) to h, w and c, labelled with the kind, the size and the receptive field; blocks as branches
    that meet again; in rows that fit a page.

    SPEC is a YAML file, or - for standard input. Exit codes: 0 done, 2 the spec is unreadable or invalid,
    the output cannot be written, no renderer is here for a PNG or PDF, or there is no -o and standard output
    is a terminal.
    \f
    Example: cnncalc draw specs/resnet18.yaml -o resnet18.svg
    """
    if output is None:
        if sys.stdout.isatty():
            raise Refused(ON_A_TERMINAL)
        output = "-"
    suffix = os.path.splitext(output)[1].lower()
    if output != "-" and suffix not in (".svg", ".png", ".pdf"):
        raise click.BadParameter(
            f"{output!r}: the picture is written as .svg or .png, or as .pdf", param_hint="'-o' / '--output'"
        )
    from ..draw import draw_svg
    from ..output import STDOUT, write_output
    from ..pipeline import analyse_file, folded_note, locate
    from ..rows import MAX_ROWS
    from ..terminal import say_diagnostics

    source = locate(spec)
    what = "to draw, a box each (--depth N folds blocks into one box)"
    parsed, report = analyse_file(source, depth=depth, max_rows=MAX_ROWS, writes_rows=what)
    if depth is None and report.kept_depth is not None:
        say_diagnostics([folded_note(parsed, report)], source.shown)
    svg = draw_svg(report, source.shown, width)
    if suffix in (".png", ".pdf") and output != STDOUT:
        try:
            data = to_png(svg, output, renderers()) if suffix == ".png" else to_pdf(svg, output)
        except NoRenderer as exc:
            raise Refused(str(exc)) from None
    else:
        data = svg.encode("utf-8")
    write_output(data, output, source.path)
