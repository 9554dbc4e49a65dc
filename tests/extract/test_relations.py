"""Relations on sentences written for these tests (never the seed articles)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from zhkg.model import Document
from zhkg.pipeline.work import extract_document


def _relations(text: str) -> set[tuple[str, str, str]]:
    ex = extract_document(Document("doc", text))
    return {
        ("@article" if r.subject is None else r.subject.text, r.predicate, r.object.text)
        for r in ex.relations
    }


def test_post_chain_relations() -> None:
    rels = _relations("浙江省委常委杭州市委书记李明会见了客人。")
    assert {
        ("李明", "holdsPost", "省委常委"),
        ("李明", "holdsPost", "市委书记"),
        ("省委常委", "postIn", "浙江"),
        ("市委书记", "postIn", "杭州"),
    } <= rels


def test_part_of_comes_from_the_gazetteer() -> None:
    rels = _relations("杭州市和浙江省共同举办活动。")
    assert ("杭州市", "partOf", "浙江省") in rels


def test_byline_relations_have_the_article_as_subject() -> None:
    rels = _relations("新华社杭州月日电记者王小明今年以来，当地经济回升。责任编辑张伟")
    assert {
        ("@article", "publisher", "新华社"),
        ("@article", "author", "王小明"),
        ("@article", "editor", "张伟"),
    } <= rels


def test_policy_issuer_from_the_title_and_from_the_verb() -> None:
    rels = _relations("杭州市制定了杭州市促进中小企业发展若干措施。")
    assert ("杭州市", "issues", "杭州市促进中小企业发展若干措施") in rels
    rels = _relations("杭州市印发关于加快数字经济发展的实施意见。")
    assert ("杭州市", "issues", "关于加快数字经济发展的实施意见") in rels
    rels = _relations("杭州市认真落实关于加快数字经济发展的实施意见。")
    assert ("杭州市", "implements", "关于加快数字经济发展的实施意见") in rels


def test_cooperation_pairs_every_left_with_every_right() -> None:
    rels = _relations("华星钢铁公司和远大水泥公司与宁波市开展合作。")
    assert ("华星钢铁公司", "cooperatesWith", "宁波市") in rels
    assert ("远大水泥公司", "cooperatesWith", "宁波市") in rels
    assert ("华星钢铁公司", "cooperatesWith", "远大水泥公司") not in rels


def test_located_in_from_a_place_inside_the_name() -> None:
    rels = _relations("宁波市出台新规。宁波市财政局表示支持。")
    assert ("宁波市财政局", "locatedIn", "宁波市") in rels


def test_every_relation_has_in_bounds_evidence() -> None:
    text = "浙江省委常委杭州市委书记李明会见了客人。杭州市印发关于加快数字经济发展的实施意见。"
    ex = extract_document(Document("doc", text))
    assert ex.relations
    for r in ex.relations:
        assert 0 <= r.evidence.start < r.evidence.end <= len(text)
        assert r.evidence.sentence_start <= r.evidence.start
        assert r.evidence.method


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
# characters that make the patterns fire: punctuation, post and body endings, policy words
_NEWSY = st.sampled_from(
    list("，。；：、“”（）市省县区委书记长局公司集团")
    + list("制定出台实施方案通知措施与和合作记者摄")
)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.one_of(_HAN, _NEWSY, st.characters()), max_size=300))
def test_arbitrary_unicode_never_crashes_and_offsets_index_the_text(text: str) -> None:
    ex = extract_document(Document("fuzz", text))
    for m in ex.mentions:
        assert text[m.start : m.end] == m.text
        assert m.evidence.sentence_start <= m.start <= m.end <= m.evidence.sentence_end
    for r in ex.relations:
        assert 0 <= r.evidence.start <= r.evidence.end <= len(text)
        assert r.object in ex.mentions
        assert r.subject is None or r.subject in ex.mentions


def test_an_article_is_segmented_into_sentences_once(monkeypatch: Any) -> None:
    from zhkg.nlp import segment

    calls: list[str] = []
    real = segment.sentences

    def counted(text: str) -> list[tuple[int, int]]:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(segment, "sentences", counted)
    ex = extract_document(Document("doc", "杭州市和浙江省共同举办活动。市长王明出席。"))
    assert ex.relations and len(calls) == 1
