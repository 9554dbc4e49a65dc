"""The corpus-level entities graph: one label per entity, and the gazetteer's facts.

Article graphs say what each article states; `graph:entities` says what holds across them,
recomputed whole from the article graphs by `refresh_entities` after every change: the one
canonical `rdfs:label` of each entity, and for the places with an adcode their coordinates and
their partOf chain up to China, so a query for "companies in 辽宁省" needs no gazetteer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox

from zhkg.graph.store import Store
from zhkg.iris import ENTITIES_GRAPH, META_GRAPH, place_iri
from zhkg.model import ENTITY_TYPES, LEVEL_TYPES, most_specific
from zhkg.namespace import ZHKG

_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_SKOS_ALT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
_XSD_DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
_ZHKG = str(ZHKG._NS)
_ADCODE = ox.NamedNode(_ZHKG + "adcode")
_ISO_CODE = ox.NamedNode(_ZHKG + "isoCode")
_ENTITIES = ox.NamedNode(str(ENTITIES_GRAPH))
_META = ox.NamedNode(str(META_GRAPH))


class Division(Protocol):
    """What the gazetteer says about one administrative division (zhkg.nlp.gazetteer.Division)."""

    @property
    def adcode(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...


class Gazetteer(Protocol):
    def division(self, adcode: str) -> Division | None: ...


#: `zhkg.extract.resolve.canonical_name`: the label of an entity from its type and names.
CanonicalName = Callable[[str, Iterable[str]], str]


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    """What `refresh_entities` wrote: the entities labelled and the places placed."""

    entities: int
    places: int
    triples: int


def refresh_entities(store: Store, canonical_name: CanonicalName,
                     gazetteer: Gazetteer | None = None) -> RefreshSummary:
    """Recompute `graph:entities` from what the article graphs contain now.

    Each entity gets exactly one `rdfs:label`@zh: the gazetteer's name for a division, else
    `canonical_name(type, names seen)`. Places with an adcode get coordinates and a partOf chain
    up to the province and on to China (the entity of ISO code CN if an article mentions it,
    else `id:place/CN`), with the ancestors' own types, labels and codes, so a query for
    "companies in 辽宁省" needs no gazetteer.
    """
    types: dict[str, set[str]] = defaultdict(set)
    names: dict[str, set[str]] = defaultdict(set)
    adcodes: dict[str, set[str]] = defaultdict(set)
    iso: dict[str, set[str]] = defaultdict(set)
    zhkg_len = len(_ZHKG)
    # Four predicate scans (the POS index), each DISTINCT in SPARQL: an entity's type and
    # names repeat in every article naming it, and the repeats never reach Python. The
    # filters compare Oxigraph's encoded terms (the graphs that are not articles' are the
    # two of this store's own; the classes are the ontology's entity classes): a test on a
    # term's string decodes it for every row, 25 times slower at 100,000 articles.
    classes = " ".join(f"<{_ZHKG}{c}>" for c in ENTITY_TYPES)
    for predicate, into in ((_RDF_TYPE, types), (_SKOS_ALT, names), (_ADCODE, adcodes),
                            (_ISO_CODE, iso)):
        only_classes = f"VALUES ?o {{ {classes} }}" if predicate == _RDF_TYPE else ""
        rows = store.query(
            f"SELECT DISTINCT ?s ?o WHERE {{ {only_classes} GRAPH ?g {{ ?s {predicate} ?o }} "
            f"FILTER (isIRI(?s) && ?g NOT IN ({_ENTITIES}, {_META})) }}",
            use_default_graph_as_union=False, prefixes={})
        assert isinstance(rows, ox.QuerySolutions)
        for row in rows:
            o = _value(row[1])
            into[row[0].value].add(o[zhkg_len:] if predicate == _RDF_TYPE else o)

    quads: list[ox.Quad] = []
    entity_of_adcode = {min(codes): e for e, codes in sorted(adcodes.items())}
    entity_of_iso = {min(codes): e for e, codes in sorted(iso.items())}
    labelled: set[str] = set()
    places = 0

    def add(s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        quads.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, _ENTITIES))

    def label(entity: str, name: str) -> None:
        if entity not in labelled:
            labelled.add(entity)
            quads.append(ox.Quad(ox.NamedNode(entity), _RDFS_LABEL,
                                 ox.Literal(name, language="zh"), _ENTITIES))

    # Places first: a division's gazetteer name outranks the names seen in articles.
    china = entity_of_iso.get("CN", place_iri("CN"))
    china_used = False
    if gazetteer is not None:
        done: set[str] = set()
        for entity, codes in sorted(adcodes.items()):
            code = min(codes)
            chain_entity, chain_code = entity, code
            while chain_code and chain_code not in done:
                division = gazetteer.division(chain_code)
                if division is None:
                    break
                done.add(chain_code)
                places += 1
                node = entity_of_adcode.get(chain_code, chain_entity)
                cls = LEVEL_TYPES.get(division.level)
                if cls is not None:
                    add(node, str(_RDF_TYPE.value), ox.NamedNode(_ZHKG + cls))
                label(node, division.name)
                add(node, _ZHKG + "adcode", ox.Literal(division.adcode))
                if division.latitude is not None and division.longitude is not None:
                    add(node, _ZHKG + "latitude", _decimal(division.latitude))
                    add(node, _ZHKG + "longitude", _decimal(division.longitude))
                parent_code = division.parent
                if parent_code and gazetteer.division(parent_code) is not None:
                    parent = entity_of_adcode.get(parent_code, place_iri(parent_code))
                    add(node, _ZHKG + "partOf", ox.NamedNode(parent))
                    chain_entity, chain_code = parent, parent_code
                else:
                    if division.level == "province":
                        add(node, _ZHKG + "partOf", ox.NamedNode(china))
                        china_used = True
                    break
        if china_used and china not in entity_of_iso.values():
            # The gazetteer is China's: its top divisions are part of China, mentioned or not.
            add(china, str(_RDF_TYPE.value), ox.NamedNode(_ZHKG + "Country"))
            add(china, _ZHKG + "isoCode", ox.Literal("CN"))
            label(china, "中国")

    for entity in sorted(set(types) | set(names)):
        kinds = most_specific(types.get(entity, ()))
        if entity not in labelled:
            seen = sorted(names.get(entity, ()))
            if seen:
                label(entity, canonical_name(kinds[0] if kinds else "Place", seen))

    store.replace_graph(_ENTITIES, quads)
    return RefreshSummary(entities=len(labelled), places=places, triples=len(quads))


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    return str(term) if isinstance(term, ox.Triple) else term.value


def _decimal(value: float) -> ox.Literal:
    # Fixed notation: repr() may give "1e-07", which is no xsd:decimal.
    text = f"{float(value):.6f}".rstrip("0")
    return ox.Literal(text + "0" if text.endswith(".") else text, datatype=_XSD_DECIMAL)


__all__ = ["CanonicalName", "Division", "Gazetteer", "RefreshSummary", "refresh_entities"]
