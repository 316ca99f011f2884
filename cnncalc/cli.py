"""The command line: parse arguments, call the loader, the engine and a renderer, print, choose the exit code.

Exit codes: 0 success, 1 a check failed, 2 a spec could not be read or is invalid, or a usage error,
3 an internal fault (a bug in cnncalc: please report it).
"""

from __future__ import annotations

import gc
import os
import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .diagnostics import Refused, SpecError
from .kinds import MAX_INT
from .spec import Volume

if TYPE_CHECKING:
    from collections.abc import Callable

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3
MAX_SIZE = MAX_INT  # as in a spec: the frameworks' int32 sizes
# compiled at first use (re keeps it): most runs are given no volume
_VOLUME = r"[0-9]+(?:\s*[x, ]\s*[0-9]+){1,3}"  # L x C, H x W x C or D x H x W x C
_SIZES = r"[0-9]+(?:\s*[x,]\s*[0-9]+)*"  # `3`, `3x5`, `1,1,2,2`: a layer's sizes


class VolumeType(click.ParamType):  # type: ignore[type-arg]
    """A volume written `32x32x3`, `32,32,3` or `32 32 3`; `16000x1` in 1-D, `16x112x112x3` in 3-D."""

    name = "HxWxC"

    def __init__(self, channels_first_warning: bool = True) -> None:
        # where the order of the sizes changes nothing (a volume flattened first), a warning of it would be noise
        self.channels_first_warning = channels_first_warning

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Volume:
        if isinstance(value, Volume):
            return value
        text = str(value).strip()
        if not re.fullmatch(_VOLUME, text, re.IGNORECASE | re.ASCII):
            self.fail(
                f"{clipped(value)} is not a volume: write it as HxWxC, e.g. 224x224x3 (LxC in 1-D, DxHxWxC in 3-D)",
                param,
                ctx,
            )
        sizes = [size_of(size) for size in re.split(r"\s*[x, ]\s*", text, flags=re.IGNORECASE | re.ASCII)]
        if not all(1 <= size <= MAX_SIZE for size in sizes):
            self.fail(f"{clipped(value)}: every size must be between 1 and {MAX_SIZE:,}", param, ctx)
        volume = Volume(*sizes)
        meant = volume.channels_last() if self.channels_first_warning else None
        if meant is not None and not (ctx and ctx.resilient_parsing):
            written, wanted = "x".join(map(str, volume)), "x".join(map(str, meant))
            click.echo(
                f"warning: {written} looks channels-first; did you mean {wanted}? cnncalc sizes are h x w x c",
                err=True,
            )
        return volume


def size_of(digits: str) -> int:
    """The size ASCII `digits` write; past any size cnncalc takes (and Python's 4,300-digit limit), MAX_SIZE + 1."""
    significant = digits.lstrip("0") or "0"  # leading zeros are no digits to Python's limit either
    return int(significant) if len(significant) <= len(str(MAX_SIZE)) else MAX_SIZE + 1


def clipped(value: Any) -> str:
    """A value given on the command line, quoted for a message, and cut short past 40 characters."""
    text = repr(str(value))
    return text if len(text) <= 40 else f"{text[:37]}..."


class Size(click.IntRange):
    """click's IntRange, for whole numbers written in ASCII digits only (as everywhere else in cnncalc: `٣` is
    no size) and none past MAX_SIZE; a number of any length is refused with a message, never converted."""

    def __init__(self, minimum: int = 1, maximum: int | None = None) -> None:
        super().__init__(minimum, maximum)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            text = value.strip()
            digits = text[1:] if text[:1] in "+-" else text
            if not (digits.isascii() and digits.isdigit()):
                self.fail(f"{clipped(value)} is not a whole number", param, ctx)
            if size_of(digits) > MAX_SIZE:
                self.fail(f"{clipped(value)} is more than {MAX_SIZE:,}", param, ctx)
            value = text[: len(text) - len(digits)] + str(size_of(digits))  # its sign, and no leading zeros
        return super().convert(value, param, ctx)


def sizes_in(text: str) -> list[int]:
    """The sizes `text` writes, `3`, `3x5` or `1,1,2,2` (x or commas between them), each as `size_of` reads it;
    none where it writes no such thing."""
    if not re.fullmatch(_SIZES, text, re.IGNORECASE | re.ASCII):
        return []
    return [size_of(part) for part in re.split(r"\s*[x,]\s*", text, flags=re.IGNORECASE | re.ASCII)]


class PairType(click.ParamType):  # type: ignore[type-arg]
    """A size for both axes, `3`, or one per axis, `3x5` (height x width), each from 1 to MAX_SIZE; with `per_axis`,
    up to three (`3x3x3`), given back as written, for the command to read at its volume's rank (`at_rank`).

    A command words its refusal in `message`, where `{clipped}` is the value as `clipped` quotes it and
    `{value!r}` the value whole; `blanks` are the characters trimmed from the value's ends (None: any white space).
    """

    def __init__(
        self,
        name: str = "N[xN]",
        message: str = "{clipped}: write one positive integer, or two as HxW",
        blanks: str | None = None,
        minimum: int = 1,
        per_axis: bool = False,
    ) -> None:
        self.name, self.message, self.blanks, self.minimum = name, message, blanks, minimum
        self.per_axis = per_axis

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        sizes = sizes_in(str(value).strip(self.blanks))
        counts = (1, 2, 3) if self.per_axis else (1, 2)
        if len(sizes) not in counts or not all(self.minimum <= size <= MAX_SIZE for size in sizes):
            self.fail(self.message.format(value=value, clipped=clipped(value)), param, ctx)
        return tuple(sizes) if self.per_axis else (sizes[0], sizes[-1])


# which of the sizes written pads the top, the bottom, the left and the right: p, ph,pw or top,bottom,left,right
_SIDES = {1: (0, 0, 0, 0), 2: (0, 0, 1, 1), 4: (0, 1, 2, 3)}


class PaddingType(click.ParamType):  # type: ignore[type-arg]
    """`same`, `valid`, or zero padding: `p` on every side or, with `sides`, `ph,pw` or `top,bottom,left,right`.

    With `sides` a padding comes back as four sizes (top, bottom, left, right), without it as the one number
    given. A command words its refusals: `message` for a value that is no padding, `too_large` for a size past
    MAX_SIZE (`{most}` in it), as PairType's `message`; `refuse` says why a command refuses a size it cannot
    take, where it does (None: it takes any).
    """

    def __init__(
        self,
        name: str = "same|valid|N",
        sides: bool = True,
        message: str = "{clipped}: write same, valid, p, ph,pw or top,bottom,left,right",
        too_large: str = "{clipped}: every padding must be at most {most:,}",
        refuse: Callable[[int], str | None] | None = None,
        per_axis: bool = False,
    ) -> None:
        self.name, self.sides, self.message, self.too_large, self.refuse = name, sides, message, too_large, refuse
        self.per_axis = per_axis  # up to six sizes, given back as written for `at_rank`

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str | int | tuple[int, ...]:
        if isinstance(value, int) and not self.sides:
            return value
        text = str(value).strip().lower()
        if text in ("same", "valid"):
            return text
        sizes = sizes_in(text)
        quoted = {"value": value, "clipped": clipped(value), "most": MAX_SIZE}
        if any(size > MAX_SIZE for size in sizes):
            self.fail(self.too_large.format(**quoted), param, ctx)
        if len(sizes) not in ((1, 2, 3, 4, 6) if self.per_axis else _SIDES if self.sides else (1,)):
            self.fail(self.message.format(**quoted), param, ctx)
        for size in sizes:
            why = self.refuse(size) if self.refuse else None
            if why:
                self.fail(why, param, ctx)
        if not self.sides:
            return sizes[0]
        if self.per_axis:
            return tuple(sizes)
        top, bottom, left, right = (sizes[index] for index in _SIDES[len(sizes)])
        return top, bottom, left, right


def at_rank(given: tuple[int, ...], rank: int, sides: bool = False) -> tuple[int, ...] | None:
    """Sizes written on the command line, read at a volume's rank: one for every axis, one per axis, or (`sides`)
    two per axis, before and after; None where there are neither one, `rank`, nor (`sides`) twice as many."""
    if len(given) == 1:
        return given * (2 * rank if sides else rank)
    if len(given) == rank:
        return tuple(size for size in given for _ in range(2)) if sides else given
    if sides and len(given) == 2 * rank:
        return given
    return None


class CountType(click.ParamType):  # type: ignore[type-arg]
    """A count written `61706`, `70k`, `1.2M` or `3G`."""

    name = "COUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from .counts import parse_count

        try:
            return value if isinstance(value, int) else parse_count(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class FieldType(click.ParamType):  # type: ignore[type-arg]
    """A receptive field: `32` for every axis, or one per axis, `32x24` (height and width; 3 sizes in 3-D)."""

    name = "R[xR]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        sizes = sizes_in(str(value).strip())
        if not 1 <= len(sizes) <= 3 or not all(1 <= size <= MAX_SIZE for size in sizes):
            self.fail(
                f"{clipped(value)} is not a receptive field: write 32, or one per axis, 32x24 for height and width",
                param,
                ctx,
            )
        return tuple(sizes)


def show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


def show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"cnncalc {__version__}", color=ctx.color)
        ctx.exit()


class SpecArgument(click.Argument):
    """A SPEC argument (or SPEC...): where none is named and standard input is not a terminal, standard input, as
    `-` would name it (`cat net.yaml | cnncalc summary`)."""

    def consume_value(self, ctx: click.Context, opts: Any) -> Any:
        value, source = super().consume_value(ctx, opts)
        if self.value_is_missing(value) and sys.stdin is not None and not sys.stdin.isatty():
            from .reading import STDIN

            value = (STDIN,) if self.nargs == -1 else STDIN
        return value, source


def colour_chosen(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and not ctx.resilient_parsing:
        from .terminal import choose_colour

        choose_colour(ctx, value)


def colour_option() -> click.Option:
    """`--color`, before the command's name or after it: the rule it sets is `terminal.coloured`'s."""
    return click.Option(
        ["--color"],
        type=click.Choice(["auto", "always", "never"]),
        expose_value=False,
        is_eager=True,
        callback=colour_chosen,
        help="Colour error: and warning: and the tables: auto (on a terminal, unless NO_COLOR is set; FORCE_COLOR"
        " forces it), always or never.  [default: auto]",
    )


class Command(click.Command):
    """A click command that takes `--color`, whose `--help` option is made without a translation lookup, and whose
    choices are all taken in any case (`--format JSON`), as a spec's words are.

    click's own help and version options pass their help text through gettext, which imports `locale` and looks
    for message catalogues: a millisecond at every start, for text cnncalc does not translate.
    """

    quick_help: click.Option | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(colour_option())
        for param in self.params:
            if isinstance(param.type, click.Choice):
                param.type.case_sensitive = False

    def invoke(self, ctx: click.Context) -> Any:
        """The command, its ends in one place: a spec's errors said as `FILE:LINE:COL: error: ...`, what it refuses
        (see `Refused`) as `cnncalc NAME: why`, and both with exit code 2."""
        try:
            return super().invoke(ctx)
        except SpecError as exc:
            if exc.source is None:  # a command's own fault: a spec's error names its spec
                raise
            from .terminal import say_diagnostics

            say_diagnostics(exc.diagnostics, exc.source)
            raise SystemExit(EXIT_INVALID) from None
        except Refused as exc:
            click.echo(f"cnncalc {self.name}: {exc}", err=True)
            raise SystemExit(EXIT_INVALID) from None

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        names = self.get_help_option_names(ctx)
        if not names or not self.add_help_option:
            return None
        if self.quick_help is None:  # made once: click orders eager options by identity
            self.quick_help = click.Option(
                names,
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=show_help,
                help="Show this message and exit.",
            )
        return self.quick_help


class LazyGroup(Command, click.Group):
    """A group whose commands are imported when they run: a quick query pays for its own code only."""

    def __init__(self, *args: Any, commands: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = commands  # name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.lazy:
            return super().get_command(ctx, name)
        import importlib

        module, attribute = self.lazy[name].split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError:
            # no such command (click 8.2.0 says so as a plain UsageError): click looks for a near name among the
            # commands it holds, and these are imported only when they run
            import difflib

            name = args[0] if args else ""
            commands = self.list_commands(ctx)
            close = difflib.get_close_matches(name, commands, n=1) if name not in commands else []
            if not close:
                raise
            raise click.UsageError(f"No such command {name!r}. Did you mean {close[0]!r}?", ctx) from None


@click.group(
    cls=LazyGroup,
    commands={
        "summary": "cnncalc.commands.summary:summary",
        "check": "cnncalc.commands.check:check",
        "conv": "cnncalc.commands.layer:conv",
        "convtranspose": "cnncalc.commands.layer:convtranspose",
        "upsample": "cnncalc.commands.layer:upsample",
        "pool": "cnncalc.commands.layer:pool",
        "dense": "cnncalc.commands.layer:dense",
        "pad": "cnncalc.commands.layer:pad",
        "rf": "cnncalc.commands.rf:rf",
        "apply": "cnncalc.commands.apply:apply",
        "convert": "cnncalc.commands.convert:convert",
        "draw": "cnncalc.commands.draw:draw",
        "export": "cnncalc.commands.export:export",
        "schema": "cnncalc.commands.schema:schema",
        "examples": "cnncalc.commands.examples:examples",
        "import": "cnncalc.commands.import_model:import_model",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Example: cnncalc summary specs/vgg16.yaml",
)
@click.option(
    "-V", "--version", is_flag=True, expose_value=False, is_eager=True, callback=show_version, help="Show the version."
)
def cli() -> None:
    """Output volumes, parameters, MACs and receptive fields of a CNN, layer by layer."""


def main(argv: list[str] | None = None, prog_name: str = "cnncalc") -> int:
    """The console script: click's own handling, plus quiet exits on a closed pipe or an internal fault."""
    try:
        cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        return EXIT_FAILED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_FAILED
    except BrokenPipeError:
        # the reader went away (`cnncalc summary ... | head`): not an error worth a traceback
        _stdout_to_devnull()
        return EXIT_FAILED
    except OSError as exc:
        # reading a spec and writing a file end in messages of their own: what is left is the output itself
        # (`> /dev/full`, a full disk, a file-size limit)
        return _output_failed(exc)
    except Exception as exc:  # the one place an unforeseen fault becomes a message
        if os.environ.get("CNNCALC_DEBUG"):
            raise
        click.echo(f"cnncalc: internal error: {type(exc).__name__}: {exc} (set CNNCALC_DEBUG=1 for details)", err=True)
        return EXIT_INTERNAL
    return EXIT_OK


def _stdout_to_devnull() -> None:
    """Whatever is still to be written to standard output goes nowhere, and quietly (the flush at exit included)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _output_failed(exc: OSError) -> int:
    """Standard output could not be written: say so on standard error, where that still can be, and exit 2."""
    _stdout_to_devnull()
    try:
        click.echo(f"cnncalc: cannot write the output: {exc.strerror or exc}", err=True)
    except OSError:
        pass
    return EXIT_INVALID


def run() -> NoReturn:
    """The console script: `main`, then out at once, its output flushed.

    A run leaves nothing to tidy up (files are closed where they are written), yet Python's own exit would
    collect and tear down every module, click's and rich's included: about 10 ms, a tenth of drawing a table.
    The cycle collector stays off for the same reason: the few cycles a run makes go with the process.
    """
    gc.disable()
    if sys.stdout is None:  # started with standard output closed (`cnncalc ... >&-`): what it says goes nowhere
        sys.stdout = open(os.devnull, "w")  # the process ends with it open
    code = main()
    if sys.gettrace() or sys.getprofile():  # a profiler or a coverage tool writes its findings at exit
        gc.enable()
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (BrokenPipeError, ValueError):  # the reader went away before the last of the output: as in `main`
            code = code or EXIT_FAILED
        except OSError as exc:
            code = _output_failed(exc) if stream is sys.stdout else code
    os._exit(code)
