"""One entity per real thing: identity keys, stable IRIs and canonical names.

Identity is a pure function of a mention's type and normalised name (plus, for posts, the
organisation and holder), so every build, incremental or distributed, gives the same IRI to the same
thing without seeing the whole corpus. Only the choice of the canonical label needs all the names an
entity was seen under; `canonical_name` makes that choice deterministically.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from zhkg.iris import entity_iri, place_iri
from zhkg.model import PERSONS, PLACES, Extraction, Mention
from zhkg.nlp import gazetteer, vocabulary

_COMPANY_SUFFIX = re.compile(
    "(?:股份有限公司|有限责任公司|有限公司|集团有限公司|集团公司|集团|公司)$"
)


def normalise(name: str) -> str:
    """NFKC (full-width to half-width), no spaces or quotes, lower-case Latin."""
    name = unicodedata.normalize("NFKC", name)
    return re.sub(r"[\s\"'“”‘’《》〈〉「」]", "", name).lower()


def identity(type_: str, name: str, key: str | None = None) -> tuple[str, str]:
    """The (namespace, key) that makes two mentions the same entity."""
    if type_ in PLACES and key:
        return ("place", key)
    n = normalise(name)
    if type_ in PERSONS:
        return ("person", n)
    if type_ == "Company":
        stem = _COMPANY_SUFFIX.sub("", n)
        return ("company", stem if len(stem) >= 2 else n)
    if type_ == "GovernmentBody":
        return ("body", normalise(key or vocabulary.central_body(n) or n))
    return (type_.lower(), n)


def iri_for(type_: str, name: str, key: str | None = None) -> str:
    """The entity's IRI, valid whatever the name: a place known to the gazetteer is its code
    (`id:place/210200`, `id:place/CN`, percent-encoded should a code ever need it); anything
    else is a digest of its identity, so no character of a name ever reaches an IRI (a tagged
    `某[开发区` or `a>b区` would make an invalid one, and the load of its article fail)."""
    ns, k = identity(type_, name, key)
    if ns == "place" and type_ in PLACES and key:
        return place_iri(k)
    return entity_iri(ns, k)


def iris(extraction: Extraction) -> dict[Mention, str]:
    """The IRI of every mention that denotes an entity in the graph.

    A post is a position in an organisation (W3C ORG), so its IRI is its title in that organisation
    (or, where the text names no organisation, with its holder).
    """
    out: dict[Mention, str] = {}
    for m in extraction.mentions:
        if m.type != "Post":
            out[m] = iri_for(m.type, m.text, m.key)
    org_of: dict[Mention, str] = {}
    holder_of: dict[Mention, str] = {}
    for r in extraction.relations:
        if r.predicate == "postIn" and r.subject is not None:
            org_of[r.subject] = out[r.object]
        elif r.predicate == "holdsPost" and r.subject is not None:
            holder_of.setdefault(r.object, out[r.subject])
    for m in extraction.mentions:
        if m.type == "Post":
            # where the text names neither, the post is this article's and rdf.py leaves it out
            anchor = org_of.get(m) or holder_of.get(m) or f"{m.evidence.doc_id}#{m.start}"
            out[m] = entity_iri("post", normalise(m.text), anchor)
    return out


def canonical_name(type_: str, names: Iterable[str], key: str | None = None) -> str:
    """The one label an entity gets: the gazetteer's name for places and central bodies, else the
    most complete form seen (a company with its suffix), ties by frequency, then by code point."""
    counts = Counter(names)
    if not counts:
        raise ValueError("an entity needs at least one name")
    if type_ in PLACES and key:
        place = gazetteer.division(key) or gazetteer.country(key)
        if place is not None:
            return place.name
    if type_ == "GovernmentBody":
        for n in sorted(counts):
            full = vocabulary.central_body(normalise(n))
            if full:
                return full
    return min(
        counts,
        key=lambda n: (-len(n) if type_ in ("Company", "GovernmentBody") else 0, -counts[n], n),
    )
