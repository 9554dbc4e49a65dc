from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zhkg.nlp import segment


def test_words_carry_offsets_into_the_text() -> None:
    text = "北京市政府今天发布通知。"
    for word, start, end in segment.words(text):
        assert text[start:end] == word


def test_sentences_split_at_terminators_and_newlines() -> None:
    text = "第一句。第二句！第三句？\n第四句"
    spans = segment.sentences(text)
    assert [text[s:e] for s, e in spans] == ["第一句。", "第二句！", "第三句？", "第四句"]


def test_closing_quote_stays_with_its_sentence() -> None:
    text = "他说：“好。”然后走了。"
    assert [text[s:e] for s, e in segment.sentences(text)] == ["他说：“好。”", "然后走了。"]


def test_one_tokenizer_per_process() -> None:
    assert segment.tokenizer() is segment.tokenizer()


@given(st.text(max_size=200))
def test_arbitrary_text_gives_covering_in_bounds_spans(text: str) -> None:
    spans = segment.sentences(text)
    for s, e in spans:
        assert 0 <= s < e <= len(text)
    for w, s, e in segment.iter_words(text):
        assert text[s:e] == w


def test_a_text_without_sentence_ends_is_cut_after_a_comma() -> None:
    clause = "企业加快转型升级，"  # 9 characters, no sentence end
    text = clause * 200 + "最后一句。"
    spans = segment.sentences(text)
    assert all(e - s <= segment.MAX_SENTENCE for s, e in spans)
    assert [s for s, _ in spans] == [0, *(e for _, e in spans[:-1])]  # they cover the text
    assert spans[-1][1] == len(text)
    assert all(text[e - 1] == "，" for _, e in spans[:-1])  # never inside a clause
    solid = "字" * (2 * segment.MAX_SENTENCE + 1)  # nowhere to cut softly: cut at the limit
    assert segment.sentences(solid) == [
        (0, segment.MAX_SENTENCE), (segment.MAX_SENTENCE, 2 * segment.MAX_SENTENCE),
        (2 * segment.MAX_SENTENCE, len(solid))]


@given(st.text(alphabet="字，。 \n", max_size=3000))
def test_sentences_never_exceed_the_limit_and_keep_what_is_not_space(text: str) -> None:
    spans = segment.sentences(text)
    assert all(0 < e - s <= segment.MAX_SENTENCE for s, e in spans)
    covered = "".join(text[s:e] for s, e in spans)
    assert covered.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
