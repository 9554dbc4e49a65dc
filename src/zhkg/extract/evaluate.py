"""Score extractor output against a hand-written gold annotation.

Matching is by surface string, not by offset: a gold entity lists every form the text uses for it,
so an extractor is credited for naming the thing, wherever in the document it does so. That keeps
the gold readable and writable by hand (see tests/data/SEEDS_GOLD.md), at the cost of not telling
apart two occurrences of one string.

Recall counts gold items found; precision counts unique predicted items (per document) that match
some gold item. The two numerators are different counts, so `PRF` keeps both.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhkg.errors import InputError
from zhkg.model import ARTICLE_PREDICATES, ENTITY_TYPES, PLACES, PREDICATES

#: The gold's subject for relations whose subject is the article itself.
ARTICLE = "@article"

#: Predicates with no direction: A cooperatesWith B states B cooperatesWith A too.
SYMMETRIC_PREDICATES = frozenset({"cooperatesWith"})

#: The extractor's types mapped to each annotated corpus's labels (issue 3's mapping), to score
#: the whole extractor on CLUENER2020 and People's Daily.
CORPUS_LABELS: dict[str, dict[str, str]] = {
    "cluener": {
        "Person": "name",
        "Official": "name",
        "Company": "company",
        "GovernmentBody": "government",
        "Post": "position",
    },
    "pd": {
        "Person": "PER",
        "Official": "PER",
        "Company": "ORG",
        "GovernmentBody": "ORG",
        "Organization": "ORG",
        **{t: "LOC" for t in PLACES},
    },
}


@dataclass(frozen=True, slots=True)
class PRF:
    """Counts behind precision and recall; the ratios are derived so sums stay exact."""

    gold: int = 0  # gold items
    found: int = 0  # gold items matched by some prediction
    predicted: int = 0  # unique predicted items
    correct: int = 0  # predicted items matching some gold item

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.gold + other.gold, self.found + other.found,
                   self.predicted + other.predicted, self.correct + other.correct)


@dataclass(frozen=True, slots=True)
class Scores:
    """Micro-averaged figures over all scored documents.

    `relations_stated*` leave out gold relations marked `implied`; a prediction matching only an
    implied relation is then neither right nor wrong, so it is left out of precision too.
    """

    entities: PRF  # same form and same type
    entities_untyped: PRF  # same form, any type
    relations: PRF  # every gold relation
    relations_stated: PRF  # gold relations not marked implied
    entities_by_type: Mapping[str, PRF] = field(default_factory=dict, hash=False)
    relations_by_predicate: Mapping[str, PRF] = field(default_factory=dict, hash=False)
    relations_stated_by_predicate: Mapping[str, PRF] = field(default_factory=dict, hash=False)
    documents: tuple[str, ...] = ()  # gold document ids scored
    unknown_ids: tuple[str, ...] = ()  # predicted ids with no gold document (ignored)


@dataclass(frozen=True, slots=True)
class _GoldRelation:
    subject: str  # entity name or ARTICLE
    predicate: str
    object: str
    implied: bool


def load_gold(path: str | Path) -> dict[str, Any]:
    """Read and check a gold file, so a typo in it fails loudly instead of lowering a score."""
    p = Path(path)
    try:
        gold = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(str(p), f"not valid UTF-8 JSON: {exc}") from exc
    problems = check_gold(gold)
    if problems:
        raise InputError(str(p), "; ".join(problems[:5]))
    return gold  # type: ignore[no-any-return]


def check_gold(gold: Any) -> list[str]:
    """What is structurally wrong with a gold annotation (empty when it is well formed)."""
    if not isinstance(gold, dict) or not isinstance(gold.get("documents"), list):
        return ['expected an object with a "documents" list']
    problems: list[str] = []
    seen_ids: set[str] = set()
    for i, doc in enumerate(gold["documents"]):
        where = f"documents[{i}]"
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            problems.append(f'{where}: needs a string "id"')
            continue
        if doc["id"] in seen_ids:
            problems.append(f"{where}: duplicate id {doc['id']!r}")
        seen_ids.add(doc["id"])
        names: set[str] = set()
        for j, ent in enumerate(doc.get("entities", [])):
            ewhere = f"{where}.entities[{j}]"
            if not isinstance(ent, dict) or not isinstance(ent.get("name"), str):
                problems.append(f'{ewhere}: needs a string "name"')
                continue
            if ent["name"] in names:
                problems.append(f"{ewhere}: duplicate name {ent['name']!r}")
            names.add(ent["name"])
            if ent.get("type") not in ENTITY_TYPES:
                problems.append(f"{ewhere}: unknown type {ent.get('type')!r}")
            forms = ent.get("forms")
            if (not isinstance(forms, list) or not forms
                    or not all(isinstance(f, str) and f for f in forms)):
                problems.append(f'{ewhere}: "forms" must be a non-empty list of strings')
        for j, rel in enumerate(doc.get("relations", [])):
            rwhere = f"{where}.relations[{j}]"
            if not isinstance(rel, dict):
                problems.append(f"{rwhere}: not an object")
                continue
            pred = rel.get("predicate")
            if pred not in PREDICATES:
                problems.append(f"{rwhere}: unknown predicate {pred!r}")
            subj = rel.get("subject")
            if pred in ARTICLE_PREDICATES:
                if subj != ARTICLE:
                    problems.append(f"{rwhere}: {pred} needs subject {ARTICLE!r}")
            elif subj not in names:
                problems.append(f"{rwhere}: subject {subj!r} is not an entity of the document")
            if rel.get("object") not in names:
                problems.append(f"{rwhere}: object {rel.get('object')!r} is not an entity")
            if not isinstance(rel.get("implied", False), bool):
                problems.append(f'{rwhere}: "implied" must be true or false')
    return problems


def score_documents(gold: Mapping[str, Any], predicted: Iterable[Mapping[str, Any]]) -> Scores:
    """Score `zhkg extract` records against `gold`; gold documents with no record score zero."""
    by_id: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in predicted:
        by_id[str(record.get("id", ""))].append(record)
    gold_ids = [str(d["id"]) for d in gold["documents"]]

    entities = untyped = relations = stated = PRF()
    by_type: dict[str, PRF] = defaultdict(PRF)
    by_pred: dict[str, PRF] = defaultdict(PRF)
    stated_by_pred: dict[str, PRF] = defaultdict(PRF)
    for doc in gold["documents"]:
        records = by_id.get(str(doc["id"]), [])
        e_typed, e_any, e_types = _score_entities(doc, records)
        entities, untyped = entities + e_typed, untyped + e_any
        for t, prf in e_types.items():
            by_type[t] += prf
        r_all, r_stated, r_preds, r_stated_preds = _score_relations(doc, records)
        relations, stated = relations + r_all, stated + r_stated
        for p, prf in r_preds.items():
            by_pred[p] += prf
        for p, prf in r_stated_preds.items():
            stated_by_pred[p] += prf
    return Scores(
        entities=entities,
        entities_untyped=untyped,
        relations=relations,
        relations_stated=stated,
        entities_by_type=dict(sorted(by_type.items(), key=lambda kv: _order(ENTITY_TYPES, kv[0]))),
        relations_by_predicate=dict(sorted(by_pred.items(),
                                           key=lambda kv: _order(PREDICATES, kv[0]))),
        relations_stated_by_predicate=dict(sorted(stated_by_pred.items(),
                                                  key=lambda kv: _order(PREDICATES, kv[0]))),
        documents=tuple(gold_ids),
        unknown_ids=tuple(sorted(set(by_id) - set(gold_ids))),
    )


def _order(known: tuple[str, ...], name: str) -> tuple[int, str]:
    return (known.index(name) if name in known else len(known), name)


def _score_entities(doc: Mapping[str, Any], records: list[Mapping[str, Any]],
                    ) -> tuple[PRF, PRF, dict[str, PRF]]:
    gold_pairs = {(f, e["type"]) for e in doc["entities"] for f in e["forms"]}
    gold_forms = {f for f, _ in gold_pairs}
    pred_pairs = {(str(m["text"]), str(m["type"])) for r in records for m in r.get("mentions", ())}
    pred_forms = {text for text, _ in pred_pairs}

    found = [e for e in doc["entities"] if any((f, e["type"]) in pred_pairs for f in e["forms"])]
    typed = PRF(gold=len(doc["entities"]), found=len(found),
                predicted=len(pred_pairs), correct=len(pred_pairs & gold_pairs))
    found_any = [e for e in doc["entities"] if any(f in pred_forms for f in e["forms"])]
    any_type = PRF(gold=len(doc["entities"]), found=len(found_any),
                   predicted=len(pred_forms), correct=len(pred_forms & gold_forms))

    per_type: dict[str, PRF] = defaultdict(PRF)
    for e in doc["entities"]:
        per_type[e["type"]] += PRF(gold=1, found=int(any(e is f for f in found)))
    for pair in pred_pairs:
        per_type[pair[1]] += PRF(predicted=1, correct=int(pair in gold_pairs))
    return typed, any_type, per_type


def _score_relations(doc: Mapping[str, Any], records: list[Mapping[str, Any]],
                     ) -> tuple[PRF, PRF, dict[str, PRF], dict[str, PRF]]:
    doc_id = str(doc["id"])
    forms = {e["name"]: frozenset(e["forms"]) for e in doc["entities"]}
    golds = [_GoldRelation(r["subject"], r["predicate"], r["object"], bool(r.get("implied")))
             for r in doc.get("relations", ())]
    preds = {(_article_subject(r.get("subject"), doc_id), str(r["predicate"]), str(r["object"]))
             for rec in records for r in rec.get("relations", ())}

    def matches(g: _GoldRelation, p: tuple[str, str, str]) -> bool:
        subj, pred, obj = p
        if pred != g.predicate:
            return False
        subj_forms = {ARTICLE} if g.subject == ARTICLE else forms[g.subject]
        if subj in subj_forms and obj in forms[g.object]:
            return True
        return (g.predicate in SYMMETRIC_PREDICATES and g.subject != ARTICLE
                and obj in subj_forms and subj in forms[g.object])

    all_counts: dict[str, PRF] = defaultdict(PRF)
    stated_counts: dict[str, PRF] = defaultdict(PRF)
    for g in golds:
        hit = int(any(matches(g, p) for p in preds))
        all_counts[g.predicate] += PRF(gold=1, found=hit)
        if not g.implied:
            stated_counts[g.predicate] += PRF(gold=1, found=hit)
    for p in preds:
        hits = [g for g in golds if matches(g, p)]
        all_counts[p[1]] += PRF(predicted=1, correct=int(bool(hits)))
        if not hits or any(not g.implied for g in hits):
            stated_counts[p[1]] += PRF(predicted=1, correct=int(bool(hits)))
    return (sum(all_counts.values(), PRF()), sum(stated_counts.values(), PRF()),
            all_counts, stated_counts)


def _article_subject(subject: Any, doc_id: str) -> str:
    """A predicted subject equal to the document id (or missing) is the article itself."""
    if subject is None or subject in (doc_id, ARTICLE):
        return ARTICLE
    return str(subject)


def format_report(scores: Scores) -> str:
    """A plain-text table: one row per figure, per entity type and per predicate."""
    header = f"{'':<34}{'gold':>6}{'found':>7}{'R':>7}{'pred':>6}{'right':>7}{'P':>7}{'F1':>7}"
    lines = [f"documents: {', '.join(scores.documents)}", header, "-" * len(header)]

    def row(label: str, prf: PRF) -> str:
        return (f"{label:<34}{prf.gold:>6}{prf.found:>7}{prf.recall:>7.3f}"
                f"{prf.predicted:>6}{prf.correct:>7}{prf.precision:>7.3f}{prf.f1:>7.3f}")

    lines.append(row("entities (form + type)", scores.entities))
    lines.append(row("entities (form, any type)", scores.entities_untyped))
    lines.extend(row(f"  {t}", prf) for t, prf in scores.entities_by_type.items())
    lines.append(row("relations (all)", scores.relations))
    lines.extend(row(f"  {p}", prf) for p, prf in scores.relations_by_predicate.items())
    lines.append(row("relations (stated, no implied)", scores.relations_stated))
    lines.extend(row(f"  {p}", prf) for p, prf in scores.relations_stated_by_predicate.items())
    if scores.unknown_ids:
        lines.append(f"ignored predictions for unknown ids: {', '.join(scores.unknown_ids)}")
    return "\n".join(lines)


def evaluate_file(gold_path: str | Path, extracted_path: str | Path) -> Scores:
    """`score_documents` of a `zhkg extract` JSON Lines file against a gold file."""
    gold = load_gold(gold_path)
    p = Path(extracted_path)
    records: list[dict[str, Any]] = []
    try:
        with open(p, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(str(p), f"not a JSON line: {exc}", number) from None
                if not isinstance(record, dict):
                    raise InputError(str(p), "not a `zhkg extract` record", number)
                records.append(record)
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(str(p), f"not UTF-8: {exc}") from exc
    return score_documents(gold, records)
