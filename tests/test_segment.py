from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zhkg import segment


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
