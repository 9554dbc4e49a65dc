"""The CRF name tagger: held-out accuracy floors, offsets, odd inputs, reproducible training.

The floors sit a little below the figures measured on the held-out test splits (recorded in
src/zhkg/data/TAGGER.md), so a regression in features, model or decoding fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zhkg.errors import ModelError
from zhkg.model import ENTITY_TYPES
from zhkg.nlp import train
from zhkg.nlp.segment import words
from zhkg.nlp.tagger import TaggedSpan, Tagger, bio_spans, features

DATA = train.default_data_dir()
needs_data = pytest.mark.skipif(
    not (DATA / train.CLUENER_FILE).exists(), reason=f"annotated data not found at {DATA}"
)

# Measured on the test splits (see TAGGER.md); floors leave ~1.5 points for noise-free slack.
CLUENER_FLOOR = 0.735
PD_FLOOR = 0.72

# Invented sentences (no names from the seeds or the evaluation data).
SENTENCES = [
    "新华社记者张明华报道，江川省临河市人民政府副市长王立军昨日会见了远洋科技集团董事长刘海。",
    "远洋科技集团有限公司总经理陈思远表示，公司将在西宁设立研究中心。",
    "北川县教育局局长李红梅出席了会议。",
]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.default()


@needs_data
@pytest.mark.parametrize(("corpus", "labels", "sentences", "floor"), [
    ("cluener", train.CLUENER_EVAL, 1000, CLUENER_FLOOR),
    ("pd", train.PD_EVAL, 300, PD_FLOOR),
])
def test_heldout_floor(corpus: str, labels: tuple[str, ...], sentences: int,
                       floor: float) -> None:
    exs = train.load(DATA, corpus, "test")
    scores = train.score([ex.spans for ex in exs], train.predict(exs), labels)
    assert len(exs) > sentences
    assert scores["micro"].f1 >= floor, train.format_scores(scores)


@needs_data
def test_splits_are_disjoint_and_fixed_by_text() -> None:
    for corpus in ("cluener", "pd"):
        parts = {sp: {ex.text for ex in train.load(DATA, corpus, sp)} for sp in ("train", "dev",
                                                                                 "test")}
        assert not parts["train"] & parts["test"]
        assert not parts["dev"] & parts["test"]
        assert not parts["train"] & parts["dev"]
        assert all(train.split_of(t, corpus) == "test" for t in parts["test"])


def test_default_is_loaded_once(tagger: Tagger) -> None:
    assert Tagger.default() is tagger


def test_spans_index_the_text(tagger: Tagger) -> None:
    found = 0
    for text in SENTENCES:
        spans = tagger.tag(text)
        assert spans == sorted(spans, key=lambda t: t.start)
        for sp in spans:
            assert isinstance(sp, TaggedSpan)
            assert 0 <= sp.start < sp.end <= len(text)
            assert sp.type in ENTITY_TYPES
            assert 0.0 < sp.confidence <= 1.0
        found += len(spans)
    assert found >= 6  # people, posts, bodies and companies are all over these sentences


def test_finds_the_obvious(tagger: Tagger) -> None:
    text = SENTENCES[2]
    got = {(text[s.start:s.end], s.type) for s in tagger.tag(text)}
    assert ("李红梅", "Person") in got
    assert ("局长", "Post") in got


def test_given_words_match_computed_words(tagger: Tagger) -> None:
    for text in SENTENCES:
        assert tagger.tag(text, words(text)) == tagger.tag(text)


def test_words_with_offset_are_rebased_by_caller(tagger: Tagger) -> None:
    # Callers tag one sentence of a document: words carry offsets into the sentence.
    doc = "前言。" + SENTENCES[0]
    sent = doc[3:]
    local = [(w, s - 3, e - 3) for w, s, e in words(doc[3:], 3)]
    assert tagger.tag(sent, local) == tagger.tag(sent)


def test_empty_and_blank(tagger: Tagger) -> None:
    assert tagger.tag("") == []
    assert tagger.tag("   \n ") == []


@pytest.mark.parametrize(
    "text", ["Hello, world! 2024-01-01 is a date.", "12345", "😀😀 ¿?", "\x00a"]
)
def test_non_chinese(tagger: Tagger, text: str) -> None:
    for sp in tagger.tag(text):
        assert 0 <= sp.start < sp.end <= len(text)


def test_long_text_offsets(tagger: Tagger) -> None:
    text = "".join(SENTENCES) * 40  # ~2,000 characters, tagged in sentence chunks
    spans = tagger.tag(text)
    short = tagger.tag(SENTENCES[2])
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    # The short sentence's names recur at each copy's offset.
    offset = len(SENTENCES[0]) + len(SENTENCES[1])
    period = len("".join(SENTENCES))
    for sp in short:
        hits = [s for s in spans if (s.start - offset) % period == sp.start
                and s.end - s.start == sp.end - sp.start and s.type == sp.type]
        assert len(hits) >= 35, sp


def test_long_text_without_sentence_ends(tagger: Tagger) -> None:
    text = "的" * 1500 + SENTENCES[2].rstrip("。")
    for sp in tagger.tag(text):
        assert 0 <= sp.start < sp.end <= len(text)


def test_features_one_row_per_character() -> None:
    text = "江川省临河市"
    rows = features(text, words(text))
    assert len(rows) == len(text)
    assert all(len(set(r)) == len(r) for r in rows)
    assert features("", []) == []


def test_bio_spans() -> None:
    assert bio_spans(["B-name", "I-name", "O", "I-company", "B-position", "B-position"]) == [
        (0, 2, "name"), (3, 4, "company"), (4, 5, "position"), (5, 6, "position")]
    assert bio_spans(["B-name", "I-company"]) == [(0, 1, "name"), (1, 2, "company")]


def test_score_counts_exact_spans() -> None:
    gold = [[(0, 2, "PER"), (3, 5, "LOC")], [(1, 3, "ORG")]]
    pred = [[(0, 2, "PER"), (3, 4, "LOC")], [(1, 3, "ORG"), (4, 6, "PER")]]
    s = train.score(gold, pred, ("PER", "LOC", "ORG"))
    assert (s["PER"].tp, s["PER"].fp, s["PER"].fn) == (1, 1, 0)
    assert (s["LOC"].tp, s["LOC"].fp, s["LOC"].fn) == (0, 1, 1)
    assert s["micro"].tp == 2 and s["micro"].fp == 2 and s["micro"].fn == 1
    assert s["micro"].f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_training_is_reproducible(tmp_path: Path) -> None:
    exs = [
        train.Example("cluener", "江川省临河市副市长王立军会见了刘海。",
                      ((6, 9, "position"), (9, 12, "name"), (15, 17, "name"))),
        train.Example("pd", "王立军在临河市。", ((0, 3, "PER"), (4, 7, "LOC"))),
    ] * 5
    params = {**train.TRAIN_PARAMS, "max_iterations": 30}
    a, b = tmp_path / "a.crfsuite", tmp_path / "b.crfsuite"
    train.train(exs, a, params)
    train.train(exs, b, params)
    assert a.read_bytes() == b.read_bytes()
    got = Tagger(a).tag("王立军在临河市。")
    assert any(s.type == "Person" for s in got)


def test_unreadable_model(tmp_path: Path) -> None:
    bad = tmp_path / "bad.crfsuite"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        Tagger(bad)
    with pytest.raises(ModelError):
        Tagger(tmp_path / "missing.crfsuite")


def test_default_per_thread() -> None:
    import threading

    seen: list[Tagger] = []
    t = threading.Thread(target=lambda: seen.append(Tagger.default()))
    t.start()
    t.join()
    assert seen and seen[0] is not Tagger.default()
    assert seen[0].tag(SENTENCES[2]) == Tagger.default().tag(SENTENCES[2])
