"""Small hand-built extractions and a fake gazetteer shared by the RDF-layer tests.

The text and names are invented for the tests (no seed or evaluation data); offsets are computed
from the text so the fixture cannot drift out of step with it.
"""

from __future__ import annotations

from collections.abc import Iterable

from zhkg.model import Document, Evidence, Extraction, Mention, Relation
from zhkg.nlp.gazetteer import Division

TEXT = (
    "记者张明报道。辽宁省委常委、沈阳市委书记王建国会见了东方重工集团有限公司董事长。"
    "沈阳市人民政府发布《沈阳市促进消费若干措施》，东方重工集团有限公司将落实该措施。"
    "东方重工与北方钢铁公司签署合作协议，东方重工位于沈阳市和平区。"
)
ID = "https://w3id.org/zhkg/id/"


def _sentence(text: str, start: int) -> tuple[int, int]:
    s = max(text.rfind(c, 0, start) for c in "。！？") + 1
    ends = [i for i in (text.find(c, start) for c in "。！？") if i >= 0]
    return s, (min(ends) + 1 if ends else len(text))


def mention(doc_id: str, text: str, surface: str, type_: str, nth: int = 0,
            method: str = "tagger", confidence: float = 0.9, key: str | None = None) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    ss, se = _sentence(text, start)
    ev = Evidence(doc_id, start, start + len(surface), method, confidence, ss, se)
    return Mention(surface, type_, ev, key)


def relation(subject: Mention | None, predicate: str, obj: Mention,
             method: str = "pattern:test", confidence: float = 0.8) -> Relation:
    anchor = obj if subject is None else subject
    start = min(anchor.start, obj.start)
    end = max(anchor.end, obj.end)
    ev = Evidence(obj.evidence.doc_id, start, end, method, confidence,
                  obj.evidence.sentence_start, obj.evidence.sentence_end)
    return Relation(subject, predicate, obj, ev)


def sample(doc_id: str = "doc-1", text: str = TEXT) -> tuple[Extraction, dict[Mention, str]]:
    """One article: an author, an official with a post, a company, a policy, cooperation."""
    m = {
        "author": mention(doc_id, text, "张明", "Person"),
        "province": mention(doc_id, text, "辽宁省", "Province", method="gazetteer",
                            confidence=1.0, key="210000"),
        "city": mention(doc_id, text, "沈阳", "City", method="gazetteer", confidence=1.0,
                        key="210100"),
        "post": mention(doc_id, text, "市委书记", "Post"),
        "official": mention(doc_id, text, "王建国", "Official"),
        "company": mention(doc_id, text, "东方重工集团有限公司", "Company"),
        "gov": mention(doc_id, text, "沈阳市人民政府", "GovernmentBody"),
        "policy": mention(doc_id, text, "沈阳市促进消费若干措施", "Policy"),
        "company2": mention(doc_id, text, "东方重工集团有限公司", "Company", nth=1),
        "company3": mention(doc_id, text, "东方重工", "Organization", nth=2),
        "steel": mention(doc_id, text, "北方钢铁公司", "Company"),
        "company4": mention(doc_id, text, "东方重工", "Company", nth=3),
        "district": mention(doc_id, text, "和平区", "District", method="gazetteer",
                            confidence=1.0, key="210102"),
    }
    iris = {
        m["author"]: ID + "person/zhang-ming",
        m["province"]: ID + "place/210000",
        m["city"]: ID + "place/210100",
        m["post"]: ID + "post/shenyang-secretary",
        m["official"]: ID + "person/wang-jianguo",
        m["company"]: ID + "org/dongfang",
        m["gov"]: ID + "org/shenyang-gov",
        m["policy"]: ID + "policy/consumption",
        m["company2"]: ID + "org/dongfang",
        m["company3"]: ID + "org/dongfang",
        m["steel"]: ID + "org/beifang-steel",
        m["company4"]: ID + "org/dongfang",
        m["district"]: ID + "place/210102",
    }
    rels = (
        relation(None, "author", m["author"]),
        relation(m["official"], "holdsPost", m["post"], "pattern:post-title", 0.85),
        relation(m["post"], "postIn", m["city"], "pattern:post-title", 0.85),
        relation(m["gov"], "issues", m["policy"]),
        relation(m["company2"], "implements", m["policy"]),
        relation(m["company3"], "cooperatesWith", m["steel"]),
        relation(m["company4"], "locatedIn", m["district"]),
    )
    doc = Document(id=doc_id, text=text, title="沈阳推进工业合作", published="2020-09-08T09:21:24")
    return Extraction(doc, tuple(m.values()), rels), iris


class FakeGazetteer:
    """Three divisions of a real hierarchy (a general administrative gazetteer's facts)."""

    def __init__(self) -> None:
        self._d = {
            d.adcode: d for d in (
                Division("210000", "辽宁省", "province", None, 41.8357, 123.4291),
                Division("210100", "沈阳市", "city", "210000", 41.8057, 123.4315),
                Division("210102", "和平区", "district", "210100", 41.7889, 123.4064),
            )
        }

    def division(self, adcode: str) -> Division | None:
        return self._d.get(adcode)


def canonical_name(type_: str, names: Iterable[str]) -> str:
    """The longest name, ties by code point: the full name is usually the canonical one."""
    return max(sorted(names), key=len)
