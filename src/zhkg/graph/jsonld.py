"""graph.jsonld from the sorted N-Triples of an export: pyoxigraph writes each chunk of whole
subjects as expanded JSON-LD (in Rust), and its IRIs are compacted with the project prefixes,
which become the file's @context. Parts of the file are written by separate processes
(`zhkg.graph.export`) and joined in order.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from zhkg.namespace import PREFIXES

#: Bytes of N-Triples handed to pyoxigraph's JSON-LD writer at a time (cut at a subject boundary).
JSONLD_CHUNK_BYTES = 4 * 1024 * 1024


def subject_ranges(nt_path: Path, parts: int) -> list[tuple[int, int]]:
    """Byte ranges cutting a sorted N-Triples file in about `parts` equal parts, between two
    subjects (a subject's lines stay in one part)."""
    size = nt_path.stat().st_size
    cuts = [0]
    with open(nt_path, "rb") as f:
        for k in range(1, parts):
            at = size * k // parts
            if at <= cuts[-1]:
                continue
            f.seek(at - 1)
            f.readline()  # to the start of the next line (or stays if one starts at `at`)
            line = f.readline()
            if not line:
                break
            subject = line[: line.index(b" ") + 1]
            while line.startswith(subject):  # past this subject's lines
                line = f.readline()
            cut = f.tell() - len(line)
            if cut >= size:
                break
            cuts.append(cut)
    cuts.append(size)
    return list(itertools.pairwise(cuts))


def write_part(nt_path: Path, start: int, stop: int, part: Path) -> bool:
    """The JSON-LD nodes of bytes `start` to `stop` of a sorted N-Triples file into `part`, as
    they go in graph.jsonld (one a line, IRIs compacted to `prefix:local` with the project
    prefixes, which `join_parts` makes its @context); whether there are any.

    The lines come sorted, so each subject's triples are consecutive: pyoxigraph writes a chunk
    of whole subjects as expanded JSON-LD (in Rust), and the IRIs of the chunk are compacted and
    its nodes put one a line on the text (parsing and re-encoding the JSON in Python took several
    times longer). The nodes are those pyoxigraph writes for the whole file at once.
    """
    first = True
    with open(part, "w", encoding="utf-8") as out:  # as atomic_write opens graph.jsonld
        for text in _jsonld_chunks(nt_path, start, stop):
            out.write(text if first else ",\n  " + text)
            first = False
    return not first


def join_parts(parts: list[Path], out: IO[str]) -> None:
    """graph.jsonld from the parts `write_part` wrote (those with nodes), in order."""
    if not parts:
        out.write(json.dumps({"@context": dict(PREFIXES), "@graph": []}, ensure_ascii=False,
                             indent=1) + "\n")
        return
    head, tail = json.dumps({"@context": dict(PREFIXES), "@graph": ["\x00"]},
                            ensure_ascii=False, indent=1).split('"\\u0000"')
    out.write(head)
    for i, part in enumerate(parts):
        if i:
            out.write(",\n  ")
        out.flush()
        with open(part, "rb") as f:
            shutil.copyfileobj(f, out.buffer, 1 << 20)  # type: ignore[attr-defined]
    out.write(tail + "\n")


def _jsonld_chunks(nt_path: Path, start: int, stop: int) -> Iterator[str]:
    """The nodes of the subjects in bytes `start` to `stop` of the sorted N-Triples, compacted,
    joined by `,\\n  `, a text per chunk of about JSONLD_CHUNK_BYTES."""
    nodes = _node_text(PREFIXES)
    carry = b""
    with open(nt_path, "rb") as f:
        f.seek(start)
        left = stop - start
        while True:
            block = f.read(min(JSONLD_CHUNK_BYTES, left)) if left > 0 else b""
            left -= len(block)
            if not block:
                if carry:
                    yield nodes(carry)
                return
            data = carry + block
            # Cut before the last whole line's subject: its node may go on in the next block.
            cut = _last_subject_start(data)
            if cut:
                yield nodes(data[:cut])
            carry = data[cut:]


def _last_subject_start(data: bytes) -> int:
    """Where the lines of the subject of the last whole line of sorted N-Triples start."""
    end = data.rfind(b"\n")
    if end < 0:
        return 0
    line = data.rfind(b"\n", 0, end) + 1
    subject = data[line: data.index(b" ", line) + 1]
    if data.startswith(subject):
        return 0
    return data.index(b"\n" + subject) + 1


def _node_text(prefixes: dict[str, str]) -> Callable[[bytes], str]:
    """The nodes pyoxigraph writes for whole subjects of N-Triples, one a line, compacted.

    pyoxigraph writes expanded JSON-LD, `[{"@id":"S",...},{"@id":"T",...}]`: a node starts
    `{"@id":"S",` (it has properties), a reference elsewhere is `{"@id":"S"}`. Every JSON string
    that is an IRI under a project namespace (a key, an @id or a @type; a local part starting
    with `//` is left alone) becomes `prefix:local`.
    The literals' @value strings are cut out first and put back untouched; outside them, every
    string is a keyword, an IRI, a blank node or a language tag (no quote, no brace in them), so
    a quote followed by a namespace starts an IRI and `},{"@id":"...",` is between two nodes.
    """
    value = re.compile(r'("@value":"(?:[^"\\]|\\.)*")')
    node_start = re.compile(r'\},(?=\{"@id":"[^"]*",)')
    passes = [('"' + ns, f'"{prefix}:', re.compile('"' + re.escape(ns) + "(?!//)"))
              for prefix, ns in sorted(prefixes.items(), key=lambda kv: -len(kv[1]))]

    def nodes(data: bytes) -> str:
        text = (ox.serialize(ox.parse(data, format=ox.RdfFormat.N_TRIPLES),
                             format=ox.RdfFormat.JSON_LD) or b"[]").decode("utf-8")
        if not (text.startswith("[{") and text.endswith("}]")):
            raise ValueError(f"unexpected JSON-LD from pyoxigraph: {text[:200]!r}")
        parts = value.split(text[1:-1])
        # Outside the values, joined by a NUL (JSON escapes control characters) to go in one pass.
        rest = node_start.sub("},\n  ", "\x00".join(parts[0::2]))
        for start, replacement, pattern in passes:
            if start + "//" in rest:
                rest = pattern.sub(replacement, rest)
            else:  # the common case, several times faster
                rest = rest.replace(start, replacement)
        parts[0::2] = rest.split("\x00")
        return "".join(parts)

    return nodes
