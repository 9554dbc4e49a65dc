"""Mentions on sentences written for these tests (never the seed articles)."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhkg.extract.arbitrate import (
    Spans,
    confirm_by_suffix,
    demote_joined,
    foreign_places,
    longer_titles,
    merge,
    with_units,
)
from zhkg.extract.candidates import Candidate
from zhkg.extract.context import DocContext
from zhkg.extract.mentions import find_mentions
from zhkg.extract.rules.companies import Stems
from zhkg.extract.rules.policies import policy_candidates, slogan_candidates
from zhkg.extract.rules.posts import post_candidates
from zhkg.model import Document, Method
from zhkg.nlp import segment


def ctx_of(text: str) -> DocContext:
    return DocContext.of(Document("t", text))


def _mentions(text: str) -> set[tuple[str, str]]:
    return {(m.text, m.type) for m in find_mentions(Document("t", text))}


def test_offsets_index_the_text() -> None:
    doc = Document("t", "浙江省委常委杭州市委书记李明会见了客人。")
    for m in find_mentions(doc):
        assert doc.text[m.start : m.end] == m.text
        assert m.evidence.doc_id == "t"
        assert 0 < m.evidence.confidence <= 1
        assert m.evidence.sentence_start <= m.start < m.end <= m.evidence.sentence_end


def test_post_chain_gives_posts_places_and_the_official() -> None:
    found = _mentions("浙江省委常委杭州市委书记李明会见了客人。")
    assert {("省委常委", "Post"), ("市委书记", "Post"), ("李明", "Official")} <= found
    assert ("浙江", "Province") in found
    assert ("杭州", "City") in found


def test_places_carry_adcodes_and_short_forms_need_word_boundaries() -> None:
    ms = find_mentions(Document("t", "杭州市推进惠民生工程。"))
    places = {m.text: m.key for m in ms if m.type == "City"}
    assert places == {"杭州市": "330100"}
    assert not any(m.text == "惠民" for m in ms)


def test_byline_roles() -> None:
    text = "新华社杭州月日电记者王小明李华今年以来，当地经济回升。责任编辑张伟"
    ms = find_mentions(Document("t", text))
    methods = {(m.text, m.evidence.method) for m in ms}
    assert ("新华社", "pattern:byline-publisher") in methods
    assert ("王小明", "pattern:byline-author") in methods
    assert ("李华", "pattern:byline-author") in methods
    assert ("张伟", "pattern:byline-editor") in methods


def test_photographer_before_摄() -> None:
    text = "工人在车间忙碌。刘洋摄本报记者陈建国今年以来，产量增长。"
    methods = {(m.text, m.evidence.method) for m in find_mentions(Document("t", text))}
    assert ("刘洋", "pattern:byline-photographer") in methods
    assert ("陈建国", "pattern:byline-author") in methods


def test_policy_titles_run_together_are_split() -> None:
    text = "该市制定了关于加快数字经济发展的实施意见杭州市促进中小企业发展若干措施，效果明显。"
    titles = [text[c.start : c.end] for c in policy_candidates(text, 0, len(text))]
    assert titles == ["关于加快数字经济发展的实施意见", "杭州市促进中小企业发展若干措施"]


def test_a_title_that_goes_on_after_的_is_not_split() -> None:
    text = "印发关于进一步落实防控措施的补充通知。"
    titles = [text[c.start : c.end] for c in policy_candidates(text, 0, len(text))]
    assert titles == ["关于进一步落实防控措施的补充通知"]


def test_generic_policy_words_are_not_policies() -> None:
    text = "出台了相关政策措施。"
    assert policy_candidates(text, 0, len(text)) == []


def test_numbered_slogans() -> None:
    text = "坚持三去一降一补，推动一一落实。"
    bounds = {b for _, s, e in segment.words(text) for b in (s, e)}
    found = [text[c.start : c.end] for c in slogan_candidates(text, 0, len(text), bounds)]
    assert found == ["三去一降一补"]


def test_company_enumeration_without_separators() -> None:
    found = _mentions("帮助华星钢铁远大水泥等企业解决难题。")
    assert {("华星钢铁", "Company"), ("远大水泥", "Company")} <= found


def test_company_suffix_names() -> None:
    found = _mentions("他们与华远集团签约，并走访了明光科技有限公司。")
    assert ("华远集团", "Company") in found


def test_central_body_abbreviations() -> None:
    found = _mentions("国家发改委和工信部联合发文。")
    assert {("国家发改委", "GovernmentBody"), ("工信部", "GovernmentBody")} <= found


def test_merge_prefers_patterns_then_length_and_keeps_no_overlap() -> None:
    a = Candidate(0, 4, "Company", Method.TAGGER, 0.9, 1)
    b = Candidate(2, 6, "Policy", Method.POLICY_TITLE, 0.5, 3)
    c = Candidate(0, 2, "City", Method.TAGGER, 0.99, 1)
    assert merge(ctx_of(""), [a, b, c]) == [c, b]


@pytest.mark.parametrize("text", ["", "   ", "hello world 123", "！！！？？？"])
def test_texts_without_chinese_give_no_errors(text: str) -> None:
    for m in find_mentions(Document("t", text)):
        assert text[m.start : m.end] == m.text


def test_peoples_daily_reading_fills_places_with_abbreviations() -> None:
    # The news convention (CLUENER) leaves bare places unmarked; People's Daily's marks them,
    # one-character abbreviations included, which resolve to their country.
    doc = Document("d", "中美两国元首在会谈中表示将加强合作。")
    found = {(m.text, m.type, m.key) for m in find_mentions(doc)}
    assert {("中", "Country", "CN"), ("美", "Country", "US")} <= found
    from zhkg.extract.resolve import canonical_name, iri_for

    assert iri_for("Country", "美", "US") == iri_for("Country", "美国", "US")
    assert canonical_name("Country", ["美"], "US") == "美国"


def test_a_sure_tagged_title_extends_a_vocabulary_title_backwards() -> None:
    text = "集团设计总监与市委书记市长会面"
    vocab = Candidate(4, 6, "Post", Method.POST_TITLE, 0.85, 3)  # 总监
    tagged = Candidate(2, 6, "Post", Method.TAGGER, 0.95, 1)  # 设计总监
    unsure = Candidate(2, 6, "Post", Method.TAGGER, 0.5, 1)
    two_titles = Candidate(7, 13, "Post", Method.TAGGER, 0.95, 1)  # 市委书记 + 市长
    mayor = Candidate(11, 13, "Post", Method.POST_TITLE, 0.85, 3)
    ctx = ctx_of(text)
    out = longer_titles(ctx, [vocab, tagged, two_titles, mayor])
    assert merge(ctx, out) == [out[1], out[3]] and out[1].priority == 3
    assert longer_titles(ctx, [vocab, unsure])[1].priority == 1
    place = Candidate(2, 4, "City", Method.GAZETTEER, 0.9, 2, "x")  # the head is a name of its own
    assert longer_titles(ctx, [vocab, tagged, place])[1].priority == 1


def test_a_tagged_company_outranks_the_suffix_pattern_inside_it() -> None:
    inner = Candidate(4, 8, "Company", Method.COMPANY_SUFFIX, 0.8, 2)  # 兄弟公司
    tagged = Candidate(0, 8, "Company", Method.TAGGER, 0.7, 1)  # 某国某某兄弟公司
    other = Candidate(0, 9, "Company", Method.TAGGER, 0.7, 1)  # ends elsewhere: no support
    ctx = ctx_of("某国某某兄弟公司。")
    out = confirm_by_suffix(ctx, [inner, tagged, other])
    assert [c.priority for c in out] == [2, 2, 1]
    assert merge(ctx, out) == [out[1]]


def test_a_body_and_its_unit_stay_one_name_two_bodies_do_not() -> None:
    text = "公安部经济犯罪侦查局和国家发改委工信部"
    ministry = Candidate(0, 3, "GovernmentBody", Method.CENTRAL_BODY, 0.95, 2)
    unit = Candidate(0, 10, "GovernmentBody", Method.TAGGER, 0.99, 2)
    ndrc = Candidate(11, 16, "GovernmentBody", Method.CENTRAL_BODY, 0.95, 2)
    miit = Candidate(16, 19, "GovernmentBody", Method.CENTRAL_BODY, 0.95, 2)
    joined = Candidate(11, 19, "GovernmentBody", Method.TAGGER, 0.99, 2)
    no_words = replace(ctx_of(text), bounds=frozenset())
    out = demote_joined(no_words, [ministry, unit, ndrc, miit, joined])
    assert out[1].priority == 2 and out[4].priority == 1


def test_a_title_starts_after_a_tagged_body_and_a_name_ends_where_tagged() -> None:
    text = "某国外交部发言人王小明生表示"
    body = Candidate(0, 5, "GovernmentBody", Method.TAGGER, 0.99, 2)
    person = Candidate(8, 12, "Person", Method.TAGGER, 0.99, 1)
    found = {(text[c.start : c.end], c.type)
             for c in post_candidates(text, 0, len(text), [body, person])}
    assert ("发言人", "Post") in found and ("王小明生", "Official") in found
    assert not any(t == "外交部发言人" for t, _ in found)


# The whole extractor on the held-out test splits (benches/ner_eval.py prints the table):
# measured CLUENER 0.7425 and People's Daily 0.6704 micro F1; the floors sit a little below.
@pytest.mark.parametrize(("corpus", "floor"), [("cluener", 0.725), ("pd", 0.655)])
def test_extractor_held_out_floor(corpus: str, floor: float) -> None:
    from zhkg.extract.evaluate import CORPUS_LABELS
    from zhkg.nlp import train

    data = train.default_data_dir()
    if not (data / train.CLUENER_FILE).exists():
        pytest.skip(f"annotated data not found at {data}")
    labels = train.CLUENER_EVAL if corpus == "cluener" else train.PD_EVAL
    mapping = CORPUS_LABELS[corpus]
    exs = train.load(data, corpus, "test")
    gold = [[sp for sp in ex.spans if sp[2] in labels] for ex in exs]
    pred = [[(m.start, m.end, mapping[m.type]) for m in find_mentions(Document(str(i), ex.text))
             if m.type in mapping] for i, ex in enumerate(exs)]
    scores = train.score(gold, pred, labels)
    assert scores["micro"].f1 >= floor, train.format_scores(scores)


def test_titles_run_together_are_split_into_their_titles() -> None:
    from zhkg.extract.rules.tagged import _titles_run_together

    assert _titles_run_together("市委书记市长") == [(0, 4), (4, 6)]
    assert _titles_run_together("副市长") == [(0, 3)]
    assert _titles_run_together("设计总监") == []  # a title with a head the vocabulary lacks


def test_a_title_is_not_read_across_two_words_or_into_a_name() -> None:
    # 州 belongs to the name 万州 and 长 to 长江; 房山区 is followed by a town, not by 区长
    assert not any(t == "Post" for _, t in _mentions("大桥在万州长江段上开工建设。"))
    assert not any(t == "Post" for _, t in _mentions("该地块位于房山区长阳镇西侧。"))
    # the administrative ending is shared where a title follows it: 某市 + 市长
    assert ("市长", "Post") in _mentions("大连市长王大明表示，会议如期召开。")


def test_a_place_ending_before_a_title_is_the_places() -> None:
    found = _mentions("首先有请某某县副县长王大明致辞。")
    assert ("副县长", "Post") in found and ("县副县长", "Post") not in found
    found = _mentions("某某集团华北区董事总经理王大明认为")
    assert ("董事总经理", "Post") in found


def test_a_conjunction_starts_no_name() -> None:
    found = _mentions("该公司设计总监和首席制作人都出席了。")
    assert not any(text.startswith("和") for text, _ in found)
    found = _mentions("本报记者向某某市住房和城乡建设局求证。")
    assert not any(t == "Person" for _, t in found)


def test_a_tagged_name_loses_leading_prepositions_and_的_phrases_but_not_a_surname() -> None:
    from zhkg.extract.rules.tagged import _without_lead
    from zhkg.nlp.tagger import TaggedSpan

    text = "在简陋的乡卫生院里"
    body = _without_lead(TaggedSpan(1, 8, "GovernmentBody", 0.9), segment.words(text))
    assert text[body.start : body.end] == "乡卫生院"
    text = "据新华社报道"
    body = _without_lead(TaggedSpan(0, 4, "Organization", 0.9), segment.words(text))
    assert text[body.start : body.end] == "新华社"
    person = TaggedSpan(0, 3, "Person", 0.9)  # 于 is a preposition and a surname
    assert _without_lead(person, [("于", 0, 1), ("建勇", 1, 3)]) == person


def test_kinds_of_firm_are_not_firms() -> None:
    for text in ("多家期货公司的分析员认为", "成立了游戏开发公司。", "西门子等跨国公司也来了。",
                 "中国银行收购信托公司一事"):
        assert not any(t == "Company" and "公司" in name for name, t in _mentions(text)), text


def test_a_joiner_inside_one_body_name_joins_nothing() -> None:
    from zhkg.extract.arbitrate import _joins

    text = "某某市住房保障和房产管理局与国家发改委"
    bounds = {b for w in segment.words(text) for b in w[1:]}
    assert not _joins(text, 0, text.index("和"), Spans([]), bounds)  # one body
    ndrc = (text.index("国家"), len(text))
    assert _joins(text, 0, text.index("与"), Spans([ndrc]), bounds)  # 管理局 ends a body
    assert not _joins("埃及政府", 0, 1, Spans([]), {0, 2, 4})  # the 及 of 埃及 is no word


def test_a_tagged_body_with_a_unit_outranks_the_body_inside_it() -> None:
    text = "某某市委组织部"
    local = Candidate(0, 4, "GovernmentBody", Method.LOCAL_BODY, 0.85, 3)
    whole = Candidate(0, 7, "GovernmentBody", Method.TAGGER, 0.95, 2)
    ctx = ctx_of(text)
    out = with_units(ctx, [local, whole])
    assert out[1].priority == 3
    assert merge(ctx, out) == [out[1]]


def test_a_tagged_name_loses_loose_brackets_and_dots_at_its_edges() -> None:
    from zhkg.extract.rules.tagged import _pieces
    from zhkg.nlp.tagger import TaggedSpan

    def names(text: str, type_: str = "Person") -> list[str]:
        return [text[p.start : p.end]
                for p in _pieces(text, TaggedSpan(0, len(text), type_, 0.9), 0)]

    assert names("【王大明】") == ["王大明"]
    assert names("凯莉·") == ["凯莉"]
    assert names("Yue(王大明)") == ["Yue", "王大明"]  # two names of one person
    assert names("某某银行（601398.sh）", "Company") == ["某某银行（601398.sh）"]  # balanced


def test_a_foreign_place_holding_a_gazetteer_name_outranks_it() -> None:
    text = "在巴西利亚举行"
    brazil = Candidate(1, 3, "Country", Method.GAZETTEER, 0.95, 2, "BR")
    capital = Candidate(1, 5, "Place", Method.TAGGER, 0.99, 1)
    ctx = ctx_of(text)
    out = foreign_places(ctx, [brazil, capital])
    assert out[1].priority == 2 and merge(ctx, out) == [out[1]]
    text = "在北京人民大会堂举行"  # the rest is no transliteration: the city stays
    beijing = Candidate(1, 3, "Province", Method.GAZETTEER, 0.95, 2, "110000")
    hall = Candidate(1, 8, "Place", Method.TAGGER, 0.99, 1)
    assert foreign_places(ctx_of(text), [beijing, hall])[1].priority == 1


# -- cost as an article grows ---------------------------------------------------------------------

_NEWS = "".join((
    "浙江省杭州市人民政府印发《关于加快数字经济发展的实施意见》。",
    "杭州市委书记王明会见了来访客商。",
    "市发展和改革委员会与市财政局联合发布通知。",
    "华星集团与东方电子有限公司签署战略合作协议。",
    "华星集团宁波有限公司负责项目建设。",
    "江苏省南京市经济技术开发区管委会表示，将支持企业转型升级。",
    "省工业和信息化厅出台了促进中小企业发展的若干措施。",
    "记者从市商务局获悉，全市外贸稳步增长。",
    "广东省深圳市、广州市和佛山市共同推进产业协作。",
    "国家发改委、工信部等部门联合印发工作方案。",
    "华星汽车、东方钢铁、远大化工等企业参加了签约仪式。",
    "副市长李华出席并讲话。",
))


def _line_events(text: str) -> int:
    """Python line events (and calls) while extracting `text`: the work done, counted the same
    way on every machine, unlike a time."""
    from zhkg.pipeline.work import extract_document

    count = 0

    def trace(frame: object, event: str, arg: object) -> object:
        nonlocal count
        count += 1
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)  # type: ignore[arg-type]
    try:
        extract_document(Document("t", text))
    finally:
        sys.settrace(previous)
    return count


@pytest.mark.parametrize("run_on", [False, True], ids=["sentences", "no-sentence-ends"])
def test_extraction_work_per_character_does_not_grow_with_the_article(run_on: bool) -> None:
    # Every step that pairs mentions (an organisation with each place, a policy with each
    # issuer, a name with each other occurrence) looks within a sentence or through a sorted
    # index; a sentence is at most segment.MAX_SENTENCE characters. Quadratic steps made the
    # work per character double here from 5,000 to 20,000 characters. (C-level time, such as
    # a search of the whole text per name, is not counted: benches/article_length.py times it.)
    news = _NEWS.replace("。", "，") if run_on else _NEWS
    short, long = news * (5_000 // len(news)), news * (20_000 // len(news))
    _line_events(news)  # first-call costs (regexes, vocabularies) are not the article's
    per_char = [_line_events(text) / len(text) for text in (short, long)]
    assert per_char[1] <= 1.1 * per_char[0], per_char


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 8)), max_size=12),
       st.integers(0, 40), st.integers(0, 10))
def test_span_index_answers_as_a_scan_would(spans: list[tuple[int, int]], lo: int,
                                            width: int) -> None:
    pairs = [(s, s + n) for s, n in spans]
    index = Spans(pairs)
    hi = lo + width
    assert index.overlaps(lo, hi) == any(s < hi and lo < e for s, e in pairs)
    assert index.starting_in(lo, hi) == sorted((s, e) for s, e in pairs if lo <= s < hi)


@given(st.sets(st.text("甲乙丙集团", min_size=2, max_size=4), max_size=6),
       st.text("甲乙丙丁集团", max_size=12))
def test_stems_are_found_as_a_scan_would(stems: set[str], piece: str) -> None:
    found = Stems.of(stems)
    assert found.prefix_of(piece) == any(piece.startswith(st) for st in stems)
    assert found.starts_in(piece) == {i for st in stems for i in range(len(piece))
                                      if piece.startswith(st, i)}


# -- the rule interface ---------------------------------------------------------------------------


def test_a_rule_added_to_the_list_runs_after_the_others_and_sees_what_they_found() -> None:
    from zhkg.extract.candidates import PATTERN, Found
    from zhkg.extract.mentions import mentions_in
    from zhkg.extract.rules import MENTION_RULES

    seen: list[Found] = []

    def slogans_in_quotes(ctx: DocContext, found: Found) -> list[Candidate]:
        seen.append(found)
        start = ctx.text.index("“") + 1
        return [Candidate(start, ctx.text.index("”"), "Policy", Method.SLOGAN, 0.7, PATTERN)]

    ctx = ctx_of("杭州市提出“数字强市”目标。")
    found = {(m.text, m.type, m.evidence.method)
             for m in mentions_in(ctx, rules=(*MENTION_RULES, slogans_in_quotes))}
    assert ("数字强市", "Policy", "pattern:slogan") in found
    assert ("杭州市", "City", "gazetteer") in found
    assert [ctx.text[p.start : p.end] for p in seen[0].places] == ["杭州市"]
    assert "数字强市" not in {m.text for m in mentions_in(ctx)}


def test_settings_are_a_parameter_not_a_module_global() -> None:
    from zhkg.extract.context import SETTINGS, Settings

    text = "中美两国元首在会谈中表示将加强合作。"
    doc = Document("t", text)
    default = {(m.text, m.type) for m in find_mentions(doc)}
    no_pd = Settings(pd_types=frozenset())
    assert ("美", "Country") in default
    assert ("美", "Country") not in {(m.text, m.type) for m in find_mentions(doc, settings=no_pd)}
    assert {(m.text, m.type) for m in find_mentions(doc)} == default and Settings() == SETTINGS
