"""Counts put into sentences: the noun agreeing with its number."""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """The noun for `count` of it: `filter` for 1, `filters` for any other count (or `many`, where the plural is
    not the singular and an s)."""
    if count == 1:
        return singular
    return many if many is not None else singular + "s"


def counted(count: int, singular: str, many: str | None = None, *, separated: bool = True) -> str:
    """A count and its noun: `1 filter`, `1,024 filters`; `separated=False` for sizes, which print without
    thousands separators (`1024 filters`)."""
    number = f"{count:,}" if separated else str(count)
    return f"{number} {plural(count, singular, many)}"
