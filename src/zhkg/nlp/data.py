"""The packaged data files of zhkg/data (word lists, TSV tables), read and checked.

A missing file, a row with the wrong number of fields or an unknown entity type raise
`ModelError` naming the file: a typo in the data fails loudly instead of quietly changing what
is found. Each reader of a file makes it a resource (`zhkg.resources`), so it is read once.
"""

from __future__ import annotations

from importlib import resources

from zhkg.errors import ModelError
from zhkg.model import ENTITY_TYPES, EntityType


def data_lines(name: str) -> list[str]:
    """Lines of a packaged data file, comments and blank lines dropped."""
    try:
        text = resources.files("zhkg").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise ModelError(f"packaged data file zhkg/data/{name} is missing: {exc}") from exc
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def tsv(name: str) -> list[dict[str, str]]:
    """The rows of a packaged TSV file (its first line names the columns)."""
    lines = data_lines(name)
    header = lines[0].split("\t")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(header):
            raise ModelError(f"zhkg/data/{name}: data line {n} has {len(cells)} fields, "
                             f"expected {len(header)}")
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def entity_type(name: str, data: str) -> EntityType:
    """A type named in a data file, checked: a typo there fails loudly, not as a new type."""
    for t in ENTITY_TYPES:
        if t == name:
            return t
    raise ModelError(f"zhkg/data/{data}: unknown entity type {name!r}")


def split_list(s: str) -> tuple[str, ...]:
    """A `|`-separated field."""
    return tuple(p for p in s.split("|") if p)
