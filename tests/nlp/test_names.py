from __future__ import annotations

from zhkg.nlp.names import split_names, surname_at, surnames


def _split(text: str) -> list[str]:
    return [text[s:e] for s, e in split_names(text, 0, len(text))]


def test_compound_and_single_surnames() -> None:
    assert {"王", "李", "欧阳", "司马"} <= surnames()
    assert surname_at("欧阳修", 0) == 2
    assert surname_at("王小明", 0) == 1
    assert surname_at("的确", 0) == 0


def test_names_run_together_are_split_at_the_next_surname() -> None:
    assert _split("王小明李华张伟强") == ["王小明", "李华", "张伟强"]


def test_a_name_ends_where_ordinary_words_begin() -> None:
    assert _split("刘洋今年以来") == ["刘洋"]
    assert _split("陈建国报道") == ["陈建国"]


def test_no_name_without_a_surname() -> None:
    assert split_names("今天天气", 0, 4) == []


def test_limit_is_respected() -> None:
    spans = split_names("记者王小明李华", 2, 5)
    assert spans == [(2, 5)]
