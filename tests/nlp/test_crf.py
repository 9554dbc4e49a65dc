"""The compiled decoder (`zhkg.nlp.crf`, `Tagger.tag_many`) against crfsuite, its reference.

`tag_many` must give exactly crfsuite's spans, and the same marginals up to float rounding, on
held-out text, long text (chunked), odd characters and a freshly trained model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhkg.nlp import crf, train
from zhkg.nlp.segment import words
from zhkg.nlp.tagger import DOMAIN_NEWS, DOMAIN_PD, ONTOLOGY_TYPE, Tagger, bio_spans

DATA = train.default_data_dir()

# Invented sentences (no names from the seeds or the evaluation data).
SENTENCES = [
    "新华社记者张明华报道，江川省临河市人民政府副市长王立军昨日会见了远洋科技集团董事长刘海。",
    "远洋科技集团有限公司总经理陈思远表示，公司将在西宁设立研究中心。",
    "北川县教育局局长李红梅出席了会议。",
    "ABC公司CEO John Smith于周三抵达上海浦东国际机场，随后前往苏州工业园区。",
    "",
    "  \n ",
    "𠀀𠀁是罕见字，\U0001F600也不是汉字。",
]


def _same(tagger: Tagger, texts: list[str]) -> None:
    """tag_many == crfsuite, in both domains."""
    ws = [words(t) for t in texts]
    for domain in (DOMAIN_NEWS, DOMAIN_PD):
        fast = tagger.tag_many(texts, ws, domain)
        for text, w, got in zip(texts, ws, fast, strict=True):
            want = [(s, e, ONTOLOGY_TYPE[lab], p)
                    for s, e, lab, p in tagger.tag_labels(text, w, domain)
                    if lab in ONTOLOGY_TYPE]
            assert [(s.start, s.end, s.type) for s in got] == [x[:3] for x in want], text
            for a, b in zip(got, want, strict=True):
                assert a.confidence == pytest.approx(b[3], abs=1e-9)


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.default()


def test_same_as_crfsuite_on_invented_text(tagger: Tagger) -> None:
    _same(tagger, SENTENCES)
    assert any(tagger.tag_many(SENTENCES, [words(t) for t in SENTENCES]))
    # the domains differ: People's Daily's convention marks bare places
    ws = [words(t) for t in SENTENCES]
    assert tagger.tag_many(SENTENCES, ws) != tagger.tag_many(SENTENCES, ws, DOMAIN_PD)


def test_long_text_is_chunked_like_crfsuite(tagger: Tagger) -> None:
    long = "".join(SENTENCES[:4]) * 12 + "没有句号的一段很长的文字" * 60
    assert len(long) > 2000
    _same(tagger, [long, SENTENCES[0], long[:513]])


@pytest.mark.skipif(not (DATA / train.CLUENER_FILE).exists(), reason=f"no data at {DATA}")
def test_same_as_crfsuite_on_held_out_splits(tagger: Tagger) -> None:
    texts = [ex.text for corpus in ("cluener", "pd") for ex in train.load(DATA, corpus, "test")]
    assert len(texts) > 1500
    _same(tagger, texts)


def test_a_freshly_trained_model(tmp_path: Path) -> None:
    exs = [
        train.Example("cluener", "江川省临河市副市长王立军会见了刘海。",
                      ((6, 9, "position"), (9, 12, "name"), (15, 17, "name"))),
        train.Example("pd", "王立军在临河市。", ((0, 3, "PER"), (4, 7, "LOC"))),
    ] * 5
    path = tmp_path / "m.crfsuite"
    train.train(exs, path, {**train.TRAIN_PARAMS, "max_iterations": 30})
    _same(Tagger(path), ["王立军在临河市。", "刘海会见了王立军。", SENTENCES[2]])


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("王李市长省委公司集团国务院在了，。 A1\n𠀀")),
               max_size=80))
def test_any_text(text: str) -> None:
    _same(Tagger.default(), [text])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["O", "B-name", "I-name", "B-company", "I-company", "E-name",
                                 "S-company"]), max_size=12))
def test_spans_read_labels_like_bio_spans(labels: list[str]) -> None:
    names = ["O", "B-name", "I-name", "B-company", "I-company", "E-name", "S-company"]
    heads = {"O": 0, "B": 1, "I": 2, "E": 3, "S": 4}
    types = ["company", "name"]
    head = np.array([heads[n[0]] for n in names], dtype=np.int8)
    type_ = np.array([-1 if n == "O" else types.index(n[2:]) for n in names], dtype=np.int16)
    ids = np.array([names.index(lab) for lab in labels], dtype=np.int32)
    probs = np.linspace(0.5, 1.0, len(labels))
    got = crf.spans(ids, probs, np.array([0, len(labels)], dtype=np.int64), head, type_)
    want = bio_spans(labels)
    assert [(int(s), int(e), types[int(t)]) for _, s, e, t, _ in got] == want
    for (_, s, e, _, p), _span in zip(got, want, strict=True):
        assert p == pytest.approx(min(probs[int(s):int(e)]))
