"""One article's extraction as RDF: the named graph that holds everything the article states.

Each article gets one named graph, self-contained, so that building an article again or removing it
is replacing or dropping one graph. The function is pure (a worker process or a Dask worker can run
it) and deterministic: evidence and statement nodes get IRIs hashed from what they say, never blank
nodes, so two builds of the same input give the same triples and diffs stay readable.

Corpus-level facts (the one canonical `rdfs:label`, gazetteer coordinates, partOf chains) live in
the entities graph, which `zhkg.graph.entities.refresh_entities` recomputes from all article
graphs. Every IRI comes from `zhkg.iris`.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Mapping

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from zhkg.errors import ZhkgError
from zhkg.iris import article_graph_iri, article_iri, evidence_iri, statement_iri
from zhkg.model import ARTICLE_PREDICATES, Evidence, Extraction, Mention, is_a, most_specific
from zhkg.namespace import PREFIXES, SCHEMA, ZHKG

_ISO_DATETIME = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)


_XSD = str(XSD)
_T_TYPE = f"<{RDF.type}>"
_T_SUBJECT, _T_PREDICATE, _T_OBJECT = f"<{RDF.subject}>", f"<{RDF.predicate}>", f"<{RDF.object}>"
_T_STATEMENT = f"<{RDF.Statement}>"
_T_ALT = f"<{SKOS.altLabel}>"
_T_ID, _T_HEADLINE = f"<{SCHEMA.identifier}>", f"<{SCHEMA.headline}>"
_T_PUBLISHED = f"<{SCHEMA.datePublished}>"
_Z = {name: f"<{ZHKG._NS}{name}>" for name in ZHKG.__annotations__ if not name.startswith("_")}

#: One triple as N-Triples terms: (subject, predicate, object) already in `<iri>` / `"lit"` form.
#: Building these strings directly is 2-3x faster than building rdflib terms and printing them.
Row = tuple[str, str, str]


def _nt_lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    lexical = _NEEDS_ESCAPE.sub(_escape, text)
    if lang:
        return f'"{lexical}"@{lang}'
    if datatype:
        return f'"{lexical}"^^<{_XSD}{datatype}>'
    return f'"{lexical}"'


def _int(value: int) -> str:
    return f'"{int(value)}"^^<{_XSD}integer>'


def _confidence(value: float) -> str:
    # xsd:decimal, four places at most, in its canonical form (1, 0.95: what Oxigraph writes back);
    # floats print differently across platforms.
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return f'"{"0" if text in ("", "-0") else text}"^^<{_XSD}decimal>'


def _published(value: str | None) -> str | None:
    if not value:
        return None
    m = _ISO_DATETIME.match(value.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second = m.groups()
    date = f"{year}-{int(month):02d}-{int(day):02d}"
    if hour is None:
        return _nt_lit(date, datatype="date")
    if int(hour) == 24 and minute == "00" and second in (None, "00"):
        # the day's end is the next day's start, as Oxigraph writes it back (see `_escape`)
        with contextlib.suppress(ValueError):
            date = (datetime.date(int(year), int(month), int(day))
                    + datetime.timedelta(days=1)).isoformat()
            hour = "0"
    return _nt_lit(f"{date}T{int(hour):02d}:{minute}:{second or '00'}", datatype="dateTime")


def _evidence_rows(node: str, ev: Evidence, text: str, article: str,
                   fallback_anchor: str) -> list[Row]:
    anchor = text[ev.start:ev.end] or fallback_anchor
    out: list[Row] = [
        (node, _T_TYPE, _Z["Evidence"]),
        (node, _Z["article"], article),
        (node, _Z["anchorText"], _nt_lit(anchor, "zh")),
        (node, _Z["startOffset"], _int(ev.start)),
        (node, _Z["endOffset"], _int(ev.end)),
        (node, _Z["method"], _nt_lit(ev.method)),
        (node, _Z["confidence"], _confidence(ev.confidence)),
    ]
    if ev.sentence_end > ev.sentence_start:
        out += [
            (node, _Z["sentence"], _nt_lit(text[ev.sentence_start:ev.sentence_end], "zh")),
            (node, _Z["sentenceStart"], _int(ev.sentence_start)),
            (node, _Z["sentenceEnd"], _int(ev.sentence_end)),
        ]
    return out


def _iri(iris: Mapping[Mention, str], mention: Mention) -> str:
    try:
        return iris[mention]
    except KeyError:
        raise ZhkgError(
            f"no IRI for mention {mention.text!r} ({mention.type}) at {mention.start}-{mention.end}"
            f" in {mention.evidence.doc_id}: the resolver must give one for every mention"
        ) from None


def article_rows(extraction: Extraction, iris: Mapping[Mention, str]) -> list[Row]:
    """Every triple of the article's named graph as N-Triples terms, deterministic, no repeats."""
    doc = extraction.doc
    text = doc.text
    art_iri = str(article_iri(doc.id))
    art = f"<{art_iri}>"
    rows: list[Row] = [
        (art, _T_TYPE, _Z["Article"]),
        (art, _T_ID, _nt_lit(doc.id)),
        (art, _Z["textLength"], _int(len(text))),
    ]
    if doc.title:
        rows.append((art, _T_HEADLINE, _nt_lit(doc.title, "zh")))
    published = _published(doc.published)
    if published is not None:
        rows.append((art, _T_PUBLISHED, published))

    # Entities: everything a mention or a relation names, with every surface form and type seen.
    types: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    keys: dict[str, set[str]] = {}

    def see(m: Mention) -> str:
        iri = _iri(iris, m)
        types.setdefault(iri, set()).add(m.type)
        names.setdefault(iri, set()).add(m.text)
        if m.key and is_a(m.type, "Place"):
            keys.setdefault(iri, set()).add(m.key)
        return iri

    # A post (W3C ORG) means something only with a holder and an organisation: a bare "市长" with
    # neither is left out, with its mentions and relations, rather than kept as a dangling node.
    held = {_iri(iris, r.object) for r in extraction.relations if r.predicate == "holdsPost"}
    placed = {_iri(iris, r.subject) for r in extraction.relations
              if r.predicate == "postIn" and r.subject is not None}
    complete_posts = held & placed

    def kept(m: Mention | None) -> bool:
        return m is None or m.type != "Post" or _iri(iris, m) in complete_posts

    for m in extraction.mentions:
        if not kept(m):
            continue
        iri = see(m)
        node = f"<{evidence_iri(doc.id, m.start, m.end, 'denotes', iri)}>"
        rows.append((node, _Z["denotes"], f"<{iri}>"))
        rows += _evidence_rows(node, m.evidence, text, art, m.text)

    for r in extraction.relations:
        if not (kept(r.subject) and kept(r.object)):
            continue
        if r.subject is None and r.predicate not in ARTICLE_PREDICATES:
            raise ZhkgError(f"relation {r.predicate} in {doc.id} has no subject")
        if r.predicate not in _Z:
            raise ZhkgError(f"relation {r.predicate} in {doc.id} is not in the ontology")
        subj_iri = art_iri if r.subject is None else see(r.subject)
        obj_iri = see(r.object)
        pred_iri = f"{ZHKG._NS}{r.predicate}"
        subj, pred, obj = f"<{subj_iri}>", _Z[r.predicate], f"<{obj_iri}>"
        rows.append((subj, pred, obj))
        stmt = f"<{statement_iri(subj_iri, pred_iri, obj_iri)}>"
        rows += [
            (stmt, _T_TYPE, _T_STATEMENT),
            (stmt, _T_SUBJECT, subj),
            (stmt, _T_PREDICATE, pred),
            (stmt, _T_OBJECT, obj),
        ]
        ev_iri = evidence_iri(doc.id, r.evidence.start, r.evidence.end, subj_iri, pred_iri, obj_iri)
        node = f"<{ev_iri}>"
        rows.append((node, _Z["supports"], stmt))
        rows += _evidence_rows(node, r.evidence, text, art, r.object.text)

    for iri in sorted(types):
        entity = f"<{iri}>"
        rows.append((art, _Z["mentions"], entity))
        rows += [(entity, _T_TYPE, _Z[t]) for t in most_specific(types[iri])]
        rows += [(entity, _T_ALT, _nt_lit(n, "zh")) for n in sorted(names[iri])]
        for key in sorted(keys.get(iri, ())):
            prop = _Z["adcode"] if key.isdigit() else _Z["isoCode"]
            rows.append((entity, prop, _nt_lit(key)))
    return list(dict.fromkeys(rows))


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def article_graph(extraction: Extraction, iris: Mapping[Mention, str]) -> Graph:
    """The article's named graph as an rdflib Graph whose identifier is the graph IRI."""
    graph = bind_prefixes(Graph(identifier=article_graph_iri(extraction.doc.id)))
    data = "".join(f"{s} {p} {o} .\n" for s, p, o in article_rows(extraction, iris))
    graph.parse(data=data, format="nt")
    return graph


def article_nquads(extraction: Extraction, iris: Mapping[Mention, str]) -> str:
    """The article's named graph as N-Quads: the fast, picklable path into the store."""
    g = nt_term(article_graph_iri(extraction.doc.id))
    return "".join(f"{s} {p} {o} {g} .\n" for s, p, o in article_rows(extraction, iris))


def graph_nquads(graph: Graph, graph_iri: URIRef | None = None) -> str:
    """Any rdflib graph as N-Quads in `graph_iri` (default: the graph's own identifier)."""
    name = graph_iri if graph_iri is not None else graph.identifier
    g = nt_term(name)
    return "".join(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} {g} .\n" for s, p, o in graph)


# Oxigraph's canonical N-Triples (what `Store.dump` writes): the short escapes, \\u00XX for the
# other control characters, everything else as itself. Writing the same bytes lets a build export
# the graphs it just made without reading them back (`zhkg.graph.export.Spool`).
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
            "\f": "\\f"}
# A lone surrogate (only an article id can hold one: zhkg.read cleans the texts) has no UTF-8 and
# no N-Triples form: it is written as U+FFFD.
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f\ud800-\udfff]')


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    if "\ud800" <= c <= "\udfff":
        return "\ufffd"
    return _ESCAPES.get(c) or f"\\u{ord(c):04X}"


def nt_term(term: Node) -> str:
    """A term in N-Triples syntax (rdflib's `n3()` may write Turtle-only long strings)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        lexical = _NEEDS_ESCAPE.sub(_escape, str(term))
        if term.language:
            return f'"{lexical}"@{term.language}'
        if term.datatype is not None and term.datatype != XSD.string:
            return f'"{lexical}"^^<{term.datatype}>'
        return f'"{lexical}"'
    return term.n3()


__all__ = [
    "article_graph",
    "article_nquads",
    "article_rows",
    "bind_prefixes",
    "graph_nquads",
    "nt_term",
]
