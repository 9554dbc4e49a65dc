from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhkg.nlp import gazetteer as g
from zhkg.nlp import vocabulary as v

# -- divisions -----------------------------------------------------------------------------------


def test_division_by_adcode_has_coordinates_and_parent() -> None:
    d = g.division("210202")
    assert d is not None
    assert (d.name, d.level, d.parent, d.type) == ("中山区", "district", "210200", "District")
    assert d.latitude is not None and 38 < d.latitude < 40
    assert d.longitude is not None and 121 < d.longitude < 123
    # a twelve-digit statistical code names the same division
    assert g.division("210202000000") == d


def test_ancestors_nearest_first_up_to_province() -> None:
    assert [a.name for a in g.ancestors("210202")] == ["大连市", "辽宁省"]
    assert [a.name for a in g.ancestors("210200")] == ["辽宁省"]
    assert g.ancestors("210000") == []
    assert g.ancestors("999999") == []


def test_municipality_districts_hang_under_the_province_level_row() -> None:
    beijing = g.divisions_named("北京市")
    assert [d.adcode for d in beijing] == ["110000"]
    assert [a.adcode for a in g.ancestors("110108")] == ["110000"]


def test_province_direct_county_level_city_has_province_parent() -> None:
    # 济源市 is administered directly by Henan: no prefecture above it
    d = g.divisions_named("济源市")[0]
    assert d.parent == "410000"


def test_every_parent_exists_and_levels_are_consistent() -> None:
    all_divisions = g.divisions()
    assert len(all_divisions) > 3000
    for d in all_divisions:
        if d.level == "province":
            assert d.parent is None
        else:
            parent = g.division(d.parent or "")
            assert parent is not None, d
            assert g._LEVEL_RANK[parent.level] < g._LEVEL_RANK[d.level]


@pytest.mark.parametrize(
    ("short", "full"),
    [("辽宁", "辽宁省"), ("新疆", "新疆维吾尔自治区"), ("内蒙古", "内蒙古自治区"),
     ("北京", "北京市"), ("广西", "广西壮族自治区"), ("香港", "香港特别行政区"), ("大连", "大连市"),
     ("延边", "延边朝鲜族自治州"), ("浦东", "浦东新区")],
)
def test_short_names(short: str, full: str) -> None:
    assert full in [d.name for d in g.divisions_named(short)]


@pytest.mark.parametrize("word", ["朝阳", "和平", "新华", "长安", "城区", "东区"])
def test_ambiguous_or_common_words_are_not_district_short_names(word: str) -> None:
    assert all(d.level != "district" or d.name == word for d in g.divisions_named(word))
    matched = [m.text for m in g.find_places(f"这是{word}的问题")]
    if word in ("城区", "东区"):  # generic full names are never matched in running text
        assert matched == []
    else:  # a short form may still name a city, never a district
        assert all(c.level != "district" for m in g.find_places(word) for c in m.candidates)


def test_same_named_districts_are_all_candidates() -> None:
    named = g.divisions_named("朝阳区")
    assert {d.parent for d in named} == {"110000", "220100"}


# -- countries -----------------------------------------------------------------------------------


def test_countries_by_code_and_names() -> None:
    cn = g.country("CN")
    assert cn is not None and cn.name == "中国"
    assert g.country("中华人民共和国") == cn
    us = g.country("美国")
    assert us is not None and us.code == "US" and "美利坚合众国" in us.short_names
    assert g.country("ZZ") is None
    # Hong Kong, Macao and Taiwan are found as divisions of China, not as countries
    assert g.country("HK") is None
    assert g.divisions_named("香港")[0].level == "province"
    assert len(g.countries()) > 200


# -- find_places ---------------------------------------------------------------------------------


def test_find_places_longest_match_and_kinds() -> None:
    text = "辽宁省大连市中山区与美国企业签约，内蒙古、吉林"
    found = g.find_places(text)
    assert [(m.text, m.kind, m.full) for m in found] == [
        ("辽宁省", "Province", True), ("大连市", "City", True), ("中山区", "District", True),
        ("美国", "Country", True), ("内蒙古", "Province", False), ("吉林", "Province", False)]
    jilin = found[-1]
    assert [c.name for c in jilin.candidates] == ["吉林省", "吉林市"]


def test_find_places_prefers_longest_over_prefix() -> None:
    # 浦东新区 is one name, not 浦东 + 新区
    assert [m.text for m in g.find_places("上海浦东新区")] == ["上海", "浦东新区"]


def test_find_places_with_word_bounds_rejects_cross_word_matches() -> None:
    text = "江南县城"  # without bounds 南县 could be read inside
    assert all(m.text != "南县" for m in g.find_places(text, bounds={0, 2, 4}))
    found = g.find_places("前往大连市", bounds={0, 2, 5})
    assert [(m.start, m.end, m.text) for m in found] == [(2, 5, "大连市")]


def test_weak_names_need_word_bounds_strong_names_do_not() -> None:
    text = "坚持和政策落实"  # 和政 (a county's short form) read across 和|政策
    assert [m.text for m in g.find_places(text)] == ["和政"]
    assert g.find_places(text)[0].weak
    assert g.find_places(text, bounds={0, 2, 3, 5, 7}) == []
    # a province name glued to the next word by the segmenter is still found ...
    text = "在北京大学"
    found = g.find_places(text, bounds={0, 1, 5})
    assert [(m.text, m.weak) for m in found] == [("北京", False)]
    # ... unless every name must align
    assert g.find_places(text, bounds={0, 1, 5}, bound_all=True) == []


def test_find_places_empty() -> None:
    assert g.find_places("") == []
    assert g.find_places("今天天气很好") == []


_ALPHABET = "辽宁省大连市中山区朝阳吉林美国北京新疆的和在了浦东新区长春，。 a1"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60), st.booleans())
def test_find_places_offsets_index_the_text_and_never_overlap(text: str, with_bounds: bool) -> None:
    bounds = set(range(0, len(text) + 1, 2)) if with_bounds else None
    found = g.find_places(text, bounds=bounds)
    last = 0
    for m in found:
        assert text[m.start:m.end] == m.text
        assert m.start >= last
        assert m.candidates and m.kind == m.candidates[0].type
        assert m.text in {c.name for c in m.candidates} | {
            s for c in m.candidates for s in c.short_names}
        last = m.end


# -- resolve -------------------------------------------------------------------------------------


def test_resolve_by_parent_city_in_context() -> None:
    cands = g.places_named("朝阳区")
    changchun = g.resolve(cands, ["220100"])
    assert changchun is not None and changchun.key == "220104"
    beijing = g.resolve(cands, ["110000"])
    assert beijing is not None and beijing.key == "110105"
    # nothing nearby to choose between two districts: no guess
    assert g.resolve(cands, []) is None


def test_resolve_by_province_or_by_a_place_inside() -> None:
    zhongshan = g.places_named("中山区")  # Dalian (Liaoning) and Taipei (Taiwan)
    by_province = g.resolve(zhongshan, ["210000"])
    assert by_province is not None and by_province.key == "210202"
    # 吉林 next to 长春 (a city of Jilin province) is the province
    jilin = g.places_named("吉林")
    assert g.resolve(jilin, ["220100"]) == g.division("220000")
    # 吉林 next to one of 吉林市's districts is the city
    district_of_city = next(d for d in g.divisions() if d.parent == "220200")
    assert g.resolve(jilin, [district_of_city.adcode]) == g.division("220200")


def test_resolve_without_context_prefers_higher_level_and_single_candidates() -> None:
    assert g.resolve(g.places_named("吉林"), []) == g.division("220000")
    assert g.resolve(g.places_named("大连"), []) == g.division("210200")
    assert g.resolve([], ["210000"]) is None


# -- vocabularies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    ["书记", "省委常委", "市委书记", "常务副市长", "国务院副总理", "省人大常委会副主任",
     "市委组织部部长", "党组书记", "董事长", "副总经理", "首席执行官", "代理省长", "新闻发言人",
     "区委副书记", "县长", "镇党委书记", "人大代表", "省政协委员", "党组成员", "外交部发言人"],
)
def test_post_titles_by_composition(title: str) -> None:
    assert v.is_post_title(title)


@pytest.mark.parametrize(
    "not_title", ["", "市", "省委", "书记员", "市长助理好", "委员会", "公司", "代表", "委员",
                  "成员", "市委常委会", "大使馆", "代表团"])
def test_not_post_titles(not_title: str) -> None:
    assert not v.is_post_title(not_title)


def test_post_pattern_finds_titles_in_text() -> None:
    text = "他任市委常委、常务副市长，后任公司董事长兼总经理"
    assert [m.group() for m in v.post_pattern().finditer(text)] == [
        "市委常委", "常务副市长", "公司董事长", "总经理"]


def test_post_pattern_skips_bodies_and_bare_scoped_titles() -> None:
    text = "我代表全体成员感谢委员会，省政协委员出席，市委常委会召开，外交部发言人表示"
    assert [m.group() for m in v.post_pattern().finditer(text)] == ["省政协委员", "外交部发言人"]
    assert {"代表", "委员"} <= v.post_titles_scoped()
    assert not (v.post_titles_scoped() & v.post_titles())


@pytest.mark.parametrize(
    ("name", "kind"),
    [("某某科技股份有限公司", "Company"), ("某某集团", "Company"), ("某某农村商业银行", "Company"),
     ("某某市人民政府", "GovernmentBody"), ("某某省委", "GovernmentBody"),
     ("某某人大常委会", "GovernmentBody"), ("某某区人民法院", "GovernmentBody"),
     ("某某大学", "Organization"), ("某某行业协会", "Organization"),
     ("某某经济技术开发区", "DevelopmentZone"), ("某某高新区", "DevelopmentZone"),
     ("某某自由贸易试验区", "DevelopmentZone"), ("西部", None), ("公司", None), ("天气", None)],
)
def test_org_suffix_type(name: str, kind: str | None) -> None:
    assert v.org_suffix_type(name) == kind


def test_org_suffix_reports_the_longest_ending() -> None:
    assert v.org_suffix("某某集团股份有限公司") == ("集团股份有限公司", "Company")
    assert v.org_suffix("某某高新技术产业开发区") == ("高新技术产业开发区", "DevelopmentZone")


@pytest.mark.parametrize(
    ("abbr", "full"),
    [("工信部", "工业和信息化部"), ("发改委", "国家发展和改革委员会"),
     ("国家发改委", "国家发展和改革委员会"), ("央行", "中国人民银行"), ("新华社", "新华通讯社"),
     ("中华人民共和国商务部", "商务部"), ("商务部", "商务部"),
     ("国资委", "国务院国有资产监督管理委员会")],
)
def test_central_body_abbreviations(abbr: str, full: str) -> None:
    assert v.central_body(abbr) == full


def test_central_body_unknown_and_types() -> None:
    assert v.central_body("某某局") is None
    info = v.central_body_info("人民日报")
    assert info is not None and info.type == "GovernmentBody"  # state media, as the ontology says
    bodies = v.central_bodies()
    assert len(bodies) == len({b.name for b in bodies}) > 100
    assert {b.type for b in bodies} <= {"GovernmentBody", "Organization", "Company"}


def test_find_central_bodies_skips_local_namesakes() -> None:
    text = "国家发改委和工信部印发通知，辽宁省卫健委、大连发改委落实，新华社报道"
    found = v.find_central_bodies(text)
    assert [(m.text, m.body.name) for m in found] == [
        ("国家发改委", "国家发展和改革委员会"), ("工信部", "工业和信息化部"),
        ("新华社", "新华通讯社")]
    assert all(text[m.start:m.end] == m.text for m in found)


def test_policy_words() -> None:
    assert "关于" in v.policy_heads()
    assert {"实施方案", "若干措施", "紧急通知", "条例"} <= v.policy_tails()
    assert v.policy_tail("关于加快发展数字经济的实施方案") == "实施方案"
    assert v.policy_tail("支持企业发展的若干措施") == "若干措施"
    assert v.policy_tail("今天天气很好") is None


def test_vocabularies_hold_no_blank_or_comment_entries() -> None:
    for words in (v.post_titles(), v.post_scopes(), v.post_modifiers(), v.policy_tails(),
                  frozenset(v.org_suffixes())):
        assert words
        assert all(w and w == w.strip() and not w.startswith("#") for w in words)


def test_one_character_abbreviations() -> None:
    from zhkg.nlp.gazetteer import abbreviation

    assert abbreviation("美").name == "美国"  # type: ignore[union-attr]
    assert abbreviation("沪").name == "上海市"  # type: ignore[union-attr]
    assert abbreviation("粤").key == "440000"  # type: ignore[union-attr]
    # ambiguous (澳: Macao or Australia) or not an abbreviation of a place
    assert abbreviation("澳") is None and abbreviation("华") is None and abbreviation("的") is None
