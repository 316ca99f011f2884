"""YAML 1.1 values as the spec format reads them: each scalar typed by its resolved tag, and described for messages.

PyYAML reads YAML 1.1, where `1e3` is text, `no` is false, `010` is octal and `3:3` is base 60: only what the
format allows is taken, and the rest is said plainly (`the string '1e3' (YAML 1.1 reads this as text: ...)`).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .counts import MAX_DIGITS
from .diagnostics import shown
from .spec import Location

INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
STR_TAG = "tag:yaml.org,2002:str"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
MERGE_TAG = "tag:yaml.org,2002:merge"
# YAML 1.1 also reads 010 as octal 8, 0x10 as 16 and 3:3 as base-60 183; only decimal is taken as written
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")


class Bad(Exception):
    """A value the spec format does not allow; `node` is where it was written."""

    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.node = node


def where(node: yaml.Node) -> Location:
    return Location(node.start_mark.line + 1, node.start_mark.column + 1)


_constructor = yaml.constructor.SafeConstructor()
_BOOLS = yaml.constructor.SafeConstructor.bool_values  # yes/no/on/off/true/false, any case
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}


def wrong(node: yaml.Node, what: str) -> Bad:
    return Bad(f"must be {what}, got {describe(node)}", node)


def scalar(node: yaml.Node, what: str) -> Any:
    """The Python value of a plain YAML scalar, by its resolved tag; Bad saying it must be `what` otherwise.

    Only decimal integers are converted, so a long base-60 number cannot take quadratic time.
    """
    if not isinstance(node, yaml.ScalarNode):
        raise wrong(node, what)
    if node.tag == INT_TAG:
        if not _DECIMAL.fullmatch(node.value):
            raise wrong(node, what)
        digits = node.value.replace("_", "")
        if len(digits) > MAX_DIGITS:
            raise Bad(f"must be {what}, got a number of {len(digits):,} digits", node)
        return int(digits)
    if node.tag == FLOAT_TAG:
        try:
            return _constructor.construct_yaml_float(node)
        except ValueError:  # an explicit `!!float abc`
            raise wrong(node, what) from None
    if node.tag == BOOL_TAG and node.value.lower() in _BOOLS:
        return _BOOLS[node.value.lower()]
    if node.tag == NULL_TAG:
        return None
    if node.tag == STR_TAG:
        return node.value
    raise wrong(node, what)


def clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(node: yaml.Node) -> str:
    """What a value is, for a message: `the string '1e3'`, `the float 2.5`, `a list of 3`."""
    if isinstance(node, yaml.SequenceNode):
        return f"a list of {len(node.value)}"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if node.tag == STR_TAG:
        value = clip(node.value)
        hint = ""
        if _looks_numeric(node.value):
            hint = (
                " (YAML 1.1 reads this as text: write the number in full, e.g. 1000 for 1e3)"
                if getattr(node, "style", None) is None
                else " (quoted, so it is text: drop the quotes)"
            )
        return f"the string {value!r}{hint}"
    # what YAML resolves to these tags is one word, but an explicit tag (`!!int "8\n9"`) may put any text there
    value = shown(clip(node.value))
    if node.tag == INT_TAG:
        return f"the integer {value}" if _DECIMAL.fullmatch(node.value) else f"{value}{_int_hint(node.value)}"
    if node.tag == BOOL_TAG and node.value.lower() in _BOOLS:
        hint = f" (YAML 1.1 reads {node.value!r} as a boolean)" if node.value.lower() in _YAML11_BOOLS else ""
        return f"the boolean {value}{hint}"
    if node.tag == NULL_TAG:
        return "nothing (null)"
    if node.tag == FLOAT_TAG:
        return f"the float {value}"
    if node.tag == TIMESTAMP_TAG:
        return f"{value} (YAML 1.1 reads this as a date)"
    if node.tag == MERGE_TAG:
        return "the merge key << (not supported: write the options out)"
    return value


def _int_hint(text: str) -> str:
    """Why YAML 1.1 does not read an integer as decimal: `3:3` is base 60, `010` octal."""
    digits = text.lstrip("+-").lower()
    if ":" in digits:
        base = "a base-60 number"
    elif digits.startswith("0x"):
        base = "hexadecimal"
    elif digits.startswith("0b"):
        base = "binary"
    elif digits.startswith("0"):
        base = "octal"
    else:  # an explicit `!!int abc`
        return ""
    return f" (YAML 1.1 reads this as {base}: write integers in decimal)"


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
