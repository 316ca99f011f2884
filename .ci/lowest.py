"""Print pip constraints pinning each dependency and test dependency to the lowest release pyproject.toml admits.

`click>=8.2,!=8.4.0` gives `click==8.2`. A dependency without a lower bound is an error: nothing could test it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<specifiers>[^;]*)")
LOWER_BOUND = re.compile(r">=\s*(?P<version>[0-9][0-9A-Za-z.]*)")


def lowest(requirement: str) -> str:
    """`name==version` for the lowest release `requirement` admits."""
    match = REQUIREMENT.fullmatch(requirement.strip())
    bound = LOWER_BOUND.search(match["specifiers"]) if match else None
    if match is None or bound is None:
        sys.exit(f"lowest.py: {requirement!r} has no lower bound (>=) to test")
    return f"{match['name']}=={bound['version']}"  # `==6` is 6.0, as PEP 440 pads releases with zeros


def main() -> None:
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        print(lowest(requirement))


if __name__ == "__main__":
    main()
