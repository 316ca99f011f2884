"""`cnncalc schema`: the JSON Schema of the spec format, for editors that complete and check specs as they are typed."""

from __future__ import annotations

import click

from ..cli import Command


@click.command(cls=Command, epilog="Example: cnncalc schema > spec.schema.json")
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the spec format, for editors.

    It is generated from the definitions the loader reads specs with, so it knows every layer kind and option of
    this version. With VS Code's YAML extension, a spec whose first line is
    `# yaml-language-server: $schema=spec.schema.json` completes and checks itself as it is typed. The schema
    ships in the package too, as cnncalc/spec.schema.json.
    """
    from ..schema import schema_text

    click.echo(schema_text(), nl=False)
