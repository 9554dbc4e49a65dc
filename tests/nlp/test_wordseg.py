"""The compiled segmenter gives exactly jieba's words and offsets.

The reference is a fresh `jieba.Tokenizer()` (default dictionary), `tokenize(text)` in its default
mode with the HMM on, as `zhkg.nlp.segment.words` calls it. Compared: every sentence of the CLUENER
train split and of the People's Daily dev split (when the annotated data is there: $ZHKG_DATA,
else ../shared/data beside the repository), hand-written edge cases, and generated text.

Run as a script for the speed figures and the load and compile costs:

    .venv/bin/python tests/test_wordseg.py
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jieba
import jieba.finalseg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhkg.nlp import train
from zhkg.nlp.wordseg import Segmenter, _is_block

Span = tuple[str, int, int]

DATA = train.default_data_dir()
CORPORA = [(train.CLUENER_FILE, "text"), (train.PD_FILE, "text")]


def _fresh_tokenizer() -> jieba.Tokenizer:
    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


@pytest.fixture(scope="module")
def ref() -> jieba.Tokenizer:
    return _fresh_tokenizer()


@pytest.fixture(scope="module")
def seg(ref: jieba.Tokenizer) -> Segmenter:
    return Segmenter.from_tokenizer(ref)


def _sentences(name: str, field: str) -> list[str]:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"annotated data not found at {path}")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)[field] for line in fh if line.strip()]


def _mismatches(ref: jieba.Tokenizer, texts: list[str],
                got: list[list[Span]]) -> Iterator[tuple[str, list[Span], list[Span]]]:
    assert len(got) == len(texts)
    for text, mine in zip(texts, got, strict=True):
        want = list(ref.tokenize(text))
        if mine != want:
            yield text, want, mine


@pytest.mark.parametrize(("name", "field"), CORPORA)
def test_every_corpus_sentence_matches_jieba(ref: jieba.Tokenizer, seg: Segmenter, name: str,
                                             field: str) -> None:
    texts = _sentences(name, field)
    assert len(texts) > 1000
    bad = list(_mismatches(ref, texts, seg.tokenize_many(texts)))
    assert not bad, f"{len(bad)} of {len(texts)} sentences differ, first: {bad[0]}"
    # One call a sentence gives the same (a sample: the batch above already checked them all).
    sample = texts[::7]
    assert [seg.tokenize(t) for t in sample] == seg.tokenize_many(sample)


EDGE_CASES = [
    "",
    " ",
    "我",
    "我来到北京清华大学",
    "他来到了网易杭研大厦",  # 杭研: not in the dictionary, the HMM joins it
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "李小福是创新办主任也是云计算方面的专家",
    "iPhone13发布会在2021年9月15日举行，售价5999元，同比增长12.5%。",
    "C++和C#都是AT&T之后的语言；T恤、A股、U盘、IP地址、SIM卡。",
    "版本v1.2.3-beta_4+build#5&6，GDP增长3.14%，abc.def，3.x，.5，5.，100%%",
    "中文English混合ABC123中文 mixed  text\twith\ttabs",
    "第一行\n第二行\r\n第三行\r\r\n\n\r第四行",
    "\u3000全角空格\u3000和\xa0不换行空格\u2028行分隔\u2029段分隔",
    "！！！？？？……——“”‘’《》【】（）、，。：；",
    "!!!???...---,,,;;;:::",
    "...%%%+++###&&&___---",
    "ＡＢＣ１２３全角字母数字",
    "𠀀𠀁𪚥中文𠀀夹杂😀表情\U0010ffff",
    "孤立代理\ud800项\udfff和\udbff\udc00",
    "\x00控制\x01字符\x7f",
    "氵灬犭忄扌龘靐齉爩麤",  # rare characters: unseen emissions, MIN_FLOAT everywhere
    "丨丶丿乀乁乂乄乆乊乑",
    "\u4dff\u4e00\u9fd5\u9fd6\u9fff",  # the edges of jieba's CJK range
    "张三丰李四光王五郎赵六姐",
    "结婚的和尚未结婚的",
    "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
    "南京市长江大桥",
    "研究生命起源",
    "他说的确实在理",
    "α射线和γ射线",
    "北京" * 700,  # > 1,000 characters, one block
    "新华社北京9月15日电（记者张三）国务院总理今天在人民大会堂会见了来访的外国客人。" * 40,
    "。".join("央视网消息" for _ in range(300)),
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_match_jieba(ref: jieba.Tokenizer, seg: Segmenter, text: str) -> None:
    want = list(ref.tokenize(text))
    assert seg.tokenize(text) == want
    assert seg.tokenize_many([text]) == [want]


def test_many_at_once_keeps_texts_apart(ref: jieba.Tokenizer, seg: Segmenter) -> None:
    texts = EDGE_CASES + EDGE_CASES[::-1] + ["", ""]
    assert not list(_mismatches(ref, texts, seg.tokenize_many(texts)))
    assert seg.tokenize_many([]) == []
    assert seg.tokenize_many(("北京", "")) == [[("北京", 0, 2)], []]


def test_non_text_is_refused_as_jieba_refuses_it(seg: Segmenter) -> None:
    with pytest.raises(ValueError):
        seg.tokenize(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        seg.tokenize_many(["ok", None])  # type: ignore[list-item]


def test_block_characters_are_re_han_default() -> None:
    """The compiled test for jieba's block characters, against its regular expression."""
    for c in [*range(0x10000), 0x10000, 0x20000, 0x10FFFF]:
        assert _is_block(c) == bool(jieba.re_han_default.fullmatch(chr(c))), hex(c)


def test_words_added_to_the_tokenizer_before_the_snapshot() -> None:
    tok = _fresh_tokenizer()
    tok.add_word("杭研大厦", 50)
    tok.add_word("云计算方面", 3)
    tok.del_word("清华大学")
    tok.add_word("X光片机器", 20)
    seg = Segmenter.from_tokenizer(tok)
    for text in ["他来到了网易杭研大厦", "李小福是创新办主任也是云计算方面的专家",
                 "我来到北京清华大学", "拍X光片机器坏了，X光线", "杭研杭研大厦大"]:
        assert seg.tokenize(text) == list(tok.tokenize(text))


def test_force_split_words(ref: jieba.Tokenizer) -> None:
    """finalseg.Force_Split_Words (empty by default) splits the HMM's words into characters."""
    text = "他来到了网易杭研大厦，杭研很大"
    assert ("杭研", 6, 8) in list(ref.tokenize(text))
    jieba.finalseg.add_force_split("杭研")
    try:
        seg = Segmenter.from_tokenizer(ref)
        want = list(ref.tokenize(text))
        assert ("杭", 6, 7) in want
        assert seg.tokenize(text) == want
    finally:
        jieba.finalseg.Force_Split_Words.discard("杭研")
    assert Segmenter.from_tokenizer(ref).tokenize(text) == list(ref.tokenize(text))


# Generated text: dictionary words, any CJK character of jieba's range (most with no emission
# probability), the ASCII the blocks and finalseg's pattern care about, punctuation, whitespace,
# astral characters and lone surrogates.
_WORDS = ["中国", "北京", "清华大学", "科学院", "人民", "政府", "发展", "经济", "主任", "创新",
          "研究", "生命", "起源", "和尚", "结婚", "AT&T", "C++", "T恤", "A股", "U盘", "IP地址"]
_PIECES = st.one_of(
    st.sampled_from(_WORDS),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FD5),
    st.sampled_from(list("abcXYZ0189.%+-#&_ \t\r\n\u3000，。、“”（）：；！？…—·")),
    st.sampled_from(["𠀀", "😀", "\ud800", "\udfff", "\U0010ffff", "\x00", "Ａ", "\u9fd6"]),
    st.characters(),
)
_TEXTS = st.lists(_PIECES, max_size=80).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=4))
def test_generated_text_matches_jieba(ref: jieba.Tokenizer, seg: Segmenter,
                                      texts: list[str]) -> None:
    got = seg.tokenize_many(texts)
    for text, mine in zip(texts, got, strict=True):
        want = list(ref.tokenize(text))
        assert mine == want
        assert seg.tokenize(text) == want


# ---------------------------------------------------------------------------------------------
# Speed and costs (not a test): python tests/test_wordseg.py

_COSTS = """
import logging, sys, time
t0 = time.process_time()
import jieba
from zhkg.nlp.wordseg import Segmenter
jieba.setLogLevel(logging.WARNING)
t1 = time.process_time()
tok = jieba.Tokenizer(); tok.initialize()
t2 = time.process_time()
seg = Segmenter.from_tokenizer(tok)
t3 = time.process_time()
text = "小明硕士毕业于中国科学院计算所，后在日本京都大学深造"
seg.tokenize(text)
t4 = time.process_time()
for _ in range(1000):
    seg.tokenize(text)
t5 = time.process_time()
print(f"import {t1 - t0:.3f} s, jieba.Tokenizer().initialize() {t2 - t1:.3f} s, "
      f"Segmenter.from_tokenizer {t3 - t2:.3f} s, first tokenize {t4 - t3:.3f} s, "
      f"then {(t5 - t4) * 1e3:.1f} us a call ({len(text)} characters)")
"""


def _best_of(n: int, f: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(n):
        t = time.process_time()
        f()
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = dict(os.environ, PYTHONPATH=src)
    with tempfile.TemporaryDirectory() as cache:
        env["NUMBA_CACHE_DIR"] = cache  # an empty numba cache: the first run compiles
        for label in ("cold numba cache", "warm numba cache"):
            out = subprocess.run([sys.executable, "-c", _COSTS], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip()
            print(f"{label}: {out}")
    path = DATA / train.CLUENER_FILE
    with path.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    n_chars = sum(map(len, texts))
    tok = _fresh_tokenizer()
    seg = Segmenter.from_tokenizer(tok)
    seg.tokenize_many(texts[:10])
    t_jieba = _best_of(3, lambda: [list(tok.tokenize(t)) for t in texts])
    t_many = _best_of(3, lambda: seg.tokenize_many(texts))
    t_one = _best_of(3, lambda: [seg.tokenize(t) for t in texts])
    print(f"CLUENER train, {len(texts)} sentences, {n_chars} characters "
          f"(process time, best of 3):")
    for label, t in [("jieba Tokenizer.tokenize", t_jieba),
                     ("Segmenter.tokenize_many (one call)", t_many),
                     ("Segmenter.tokenize (a call a sentence)", t_one)]:
        print(f"  {label:40s} {n_chars / t:12,.0f} chars/s  {t * 1e6 / n_chars:6.3f} us/char"
              f"  x{t_jieba / t:.1f}")
    assert not list(_mismatches(tok, texts, seg.tokenize_many(texts)))


if __name__ == "__main__":
    if not (DATA / train.CLUENER_FILE).exists():
        sys.exit(f"annotated data not found at {DATA}")
    main()
