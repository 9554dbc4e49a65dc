"""The statistical name tagger: a linear-chain CRF over characters.

Characters, not words, are the CRF's positions because jieba often splits or merges names
(`叶老桂` -> `叶`, `老桂`); jieba's words still enter as features (where a character sits in its
word, and the word's part of speech in jieba's own dictionary), so the tagger gets word
boundaries without inheriting their mistakes. Features are built column by column with
comprehensions over a padded string, which keeps the Python cost per character small enough for
the speed budget (see benches/ner_eval.py).

One model carries both training corpora. Its labels are CLUENER2020's fine types; People's Daily
sentences enter with their PER/LOC/ORG mapped onto those labels and with a prefixed copy of every
attribute, so that what differs between the two annotation conventions (People's Daily never
marks posts) lands on the copies instead of on the shared weights. See src/zhkg/data/TAGGER.md.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pycrfsuite

from zhkg.errors import ModelError
from zhkg.model import EntityType
from zhkg.nlp import segment
from zhkg.resources import resource

#: The packaged model, inside zhkg/data.
MODEL_FILE = "tagger.crfsuite"

#: Corpus attributes the model was trained with. `DOMAIN_NEWS` is CLUENER's convention (fine
#: types, posts marked) and is what the pipeline uses; `DOMAIN_PD` reproduces People's Daily's.
DOMAIN_NEWS = "news"
DOMAIN_PD = "pd"

#: Model label -> ontology class. book/game/movie are tagged (so they are not mistaken for
#: organisations) but not reported.
ONTOLOGY_TYPE: dict[str, EntityType] = {
    "name": "Person",
    "company": "Company",
    "government": "GovernmentBody",
    "organization": "Organization",
    "position": "Post",
    "address": "Place",
    "scene": "Place",
}

# Texts longer than this are tagged sentence by sentence: a name never crosses a sentence end, and
# the CRF's memory grows with the sequence.
_MAX_CHUNK = 512

# Word-final strings that make a word (or the name it ends) likely an organisation, government
# body, post or place. General vocabulary, not names.
_SUFFIXES: dict[str, str] = {}
for _kind, _words in {
    "co": "公司 集团 银行 企业 股份 控股 有限 证券 基金 保险 科技 实业 工厂 厂 店 商场 酒店 "
    "航空 电器 电子 汽车 地产 置业 传媒 影业 网 信托",
    "gov": "政府 人民政府 委员会 委 局 厅 部 署 办 办公室 法院 检察院 公安 政协 人大 常委会 "
    "国务院 市委 省委 县委 区委 党委 中央 监狱 海关 税务 管委会 派出所 大队 支队",
    "org": "协会 学会 大学 学院 中学 小学 医院 研究所 研究院 研究中心 中心 基金会 联合会 "
    "俱乐部 队 社 报 台 会 组织 联盟 党 军 馆 院 所",
    "post": "书记 副书记 市长 副市长 省长 副省长 县长 区长 主席 副主席 总理 副总理 部长 局长 "
    "厅长 处长 主任 副主任 委员 董事长 董事 总裁 副总裁 总经理 经理 总监 院长 校长 教授 "
    "秘书长 主管 首席 执行官 总统 议员 大使 发言人 记者 编辑 教练 主帅 队长 总编",
    "loc": "省 市 县 区 镇 乡 村 街道 路 街 国 州 岛 山 江 河 湖 港 湾",
}.items():
    for _w in _words.split():
        _SUFFIXES.setdefault(_w, _kind)

# jieba's dictionary tags that carry name information; others collapse to one value.
_NAME_POS = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "n", "v", "m", "t", "f", "j", "vn"})
# Every value a word's kind and tag take in `_word_entry` ("x": another tag, "u"/"o": a word of
# several / one character not in jieba's dictionary), for `zhkg.crf`'s codes.
_WORD_KINDS = ("-", *sorted(set(_SUFFIXES.values())))
_WORD_TAGS = (*sorted(_NAME_POS), "x", "u", "o")


@dataclass(frozen=True, slots=True)
class TaggedSpan:
    """A name found by the tagger: half-open offsets into the tagged text, an ontology class name,
    and the CRF's marginal probability of its tags (the least certain character of the span)."""

    start: int
    end: int
    type: EntityType
    confidence: float


_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_TRANSLIT = (
    "阿埃艾奥欧安昂巴拜班邦贝本比彼宾波伯布查达戴丹道德登迪蒂丁杜顿多厄恩法菲芬佛夫弗福盖冈"
    "戈格根古圭哈海汉赫亨胡惠霍基吉加贾杰金卡凯坎科克肯库奎拉莱兰朗劳勒雷里利莉林琳隆卢鲁路伦"
    "罗洛马迈麦曼梅门蒙米密缪莫姆穆纳奈南内尼涅宁努诺帕潘佩彭皮普齐奇切乔琼丘让瑞萨塞桑瑟森沙"
    "舍什施斯松苏索塔泰坦汤唐特提托图瓦威韦维温沃乌西希锡谢辛休雅亚扬耶伊因英尤约泽扎詹兹佐"
)

#: Characters that transliterate foreign names (a general list).
TRANSLITERATION = frozenset(_TRANSLIT)


class _ClassTable(dict[int, str]):
    """`str.translate` table: characters it does not list (rare symbols) are class "O"."""

    def __missing__(self, key: int) -> str:
        return "O"


def _class_table() -> dict[int, str]:
    table: dict[int, str] = _ClassTable()
    for cp in range(0x4E00, 0xA000):
        table[cp] = "C"
    for cp in range(ord("0"), ord("9") + 1):
        table[cp] = "D"
    for cp in range(ord("０"), ord("９") + 1):
        table[cp] = "D"
    # Common surnames (the start of most Chinese personal names) and the characters that
    # transliterate foreign names: both general lists, they make name shapes visible to the
    # class window. Surnames win where a character is both.
    for ch in _TRANSLIT:
        table[ord(ch)] = "T"
    for ch in _SURNAMES:
        table[ord(ch)] = "X"
    for ch in "零一二三四五六七八九十百千万亿两〇":
        table[ord(ch)] = "N"
    for cp in list(range(ord("a"), ord("z") + 1)) + list(range(ord("A"), ord("Z") + 1)):
        table[cp] = "L"
    for cp in list(range(ord("ａ"), ord("ｚ") + 1)) + list(range(ord("Ａ"), ord("Ｚ") + 1)):
        table[cp] = "L"
    for ch in "，。、；：？！“”‘’（）《》〈〉【】—…·,.;:?!\"'()[]-_/":
        table[ord(ch)] = "P"
    for ch in " \t\r\n\u3000":
        table[ord(ch)] = "S"
    return table


_CLASSES = _class_table()


def features(
    text: str, words: Sequence[tuple[str, int, int]], domain: str | None = DOMAIN_NEWS
) -> list[list[str]]:
    """The CRF attributes of every character of `text`; `words` cover `text` with offsets into it.

    Shared by training and tagging, so the two can never drift apart.
    """
    n = len(text)
    if n == 0:
        return []
    p = "\x02\x02" + text + "\x03\x03"
    k = p.translate(_CLASSES)
    c_2, c_1, c0, c1, c2 = p[0:n], p[1 : n + 1], p[2 : n + 2], p[3 : n + 3], p[4 : n + 4]
    cols: list[list[str]] = [
        ["a" + c for c in c_2],
        ["b" + c for c in c_1],
        ["c" + c for c in c0],
        ["d" + c for c in c1],
        ["e" + c for c in c2],
        ["f" + x + y for x, y in zip(c_2, c_1, strict=True)],
        ["g" + x + y for x, y in zip(c_1, c0, strict=True)],
        ["h" + x + y for x, y in zip(c0, c1, strict=True)],
        ["i" + x + y for x, y in zip(c1, c2, strict=True)],
        ["l" + x + y + z for x, y, z in zip(c_1, c0, c1, strict=True)],
        ["j" + k[i : i + 5] for i in range(n)],
    ]
    cols.extend(_word_columns(n, words))
    if domain == DOMAIN_PD:
        # Daume's "frustratingly easy" adaptation: a People's Daily copy of every attribute learns
        # where that corpus's convention departs from the shared weights.
        return [[*r, *["~" + a for a in r], "Dpd"] for r in zip(*cols, strict=True)]
    if domain is None:
        return [list(r) for r in zip(*cols, strict=True)]
    tag = "D" + domain
    return [[*r, tag] for r in zip(*cols, strict=True)]


def _word_columns(n: int, words: Sequence[tuple[str, int, int]]) -> list[list[str]]:
    """Per-character attributes from the word each character falls in."""
    shape = ["wS"] * n  # place in word and word length
    wpos = ["pX"] * n  # jieba dictionary tag with the place in the word
    sfx = ["s-"] * n  # suffix class of the word, at its characters
    prev_sfx = ["t-"] * n  # suffix class of the word before, at the first character
    last_kind = "-"
    cache = _WORD_CACHE
    for w, s, e in words:
        if s < 0 or e > n or e <= s:
            continue
        entry = cache.get((w, e - s))
        if entry is None:
            entry = _word_entry(w, e - s)
        kind, shape[s:e], wpos[s:e], sfx[s:e] = entry
        prev_sfx[s] = "t" + last_kind
        last_kind = kind
    return [shape, wpos, sfx, prev_sfx]


_WordEntry = tuple[str, list[str], list[str], list[str]]
_WORD_CACHE: dict[tuple[str, int], _WordEntry] = {}


def _word_kind(w: str) -> str:
    """The suffix class of a word (organisation, government, post, place ending), or "-"."""
    return _SUFFIXES.get(w) or _SUFFIXES.get(w[-2:]) or _SUFFIXES.get(w[-1:]) or "-"


def _word_tag(w: str, ln: int) -> str:
    """The word's tag in jieba's dictionary, reduced to those that tell names apart ("x" for the
    rest); "u" for an unknown word, "o" for one character."""
    if ln <= 1:
        return "o"
    tag = segment.dictionary_tags().get(w)
    return "u" if tag is None else tag if tag in _NAME_POS else "x"


def _word_entry(w: str, ln: int) -> _WordEntry:
    """A word's suffix class and its characters' attributes, computed once per word: words
    repeat, and building the strings is most of the cost of the word features."""
    kind, tag = _word_kind(w), _word_tag(w, ln)
    if ln == 1:
        places, shapes = ["S"], ["wS"]
    else:
        lb = "3" if ln >= 3 else "2"
        places = ["B", *["M"] * (ln - 2), "E"]
        shapes = ["w" + p + lb for p in places]
    entry = (kind, shapes, ["p" + tag + p for p in places], ["s" + kind + p for p in places])
    if len(_WORD_CACHE) > 200_000:
        _WORD_CACHE.clear()
    _WORD_CACHE[(w, ln)] = entry
    return entry


def bio_spans(labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) of the entity runs in a BIO or BIOES tag sequence; a stray I- or E-
    starts a span."""
    spans: list[tuple[int, int, str]] = []
    start = -1
    cur = ""
    for i, lab in enumerate(labels):
        head = lab[:2]
        if cur and (head == "I-" or head == "E-") and lab[2:] == cur:
            if head == "E-":
                spans.append((start, i + 1, cur))
                cur = ""
            continue
        if cur:
            spans.append((start, i, cur))
            cur = ""
        if lab == "O":
            continue
        if head == "S-" or head == "E-":
            spans.append((i, i + 1, lab[2:]))
        else:
            start, cur = i, lab[2:]
    if cur:
        spans.append((start, len(labels), cur))
    return spans


_compiled_lock = threading.Lock()
_compiled_models: dict[bytes, Any] = {}


@resource
def _packaged_model() -> bytes:
    """The packaged model file's bytes."""
    try:
        return (resources.files("zhkg") / "data" / MODEL_FILE).read_bytes()
    except OSError as exc:
        raise ModelError(f"packaged tagger model {MODEL_FILE} missing: {exc}") from exc


@resource(per_thread=True)
def _default_tagger() -> Tagger:
    """The packaged model's tagger of this thread, its arrays built and its decoder compiled."""
    tagger = Tagger(_packaged_model())
    tagger.tag_domains(["中国"], [[("中国", 0, 2)]], (DOMAIN_NEWS, DOMAIN_PD))
    return tagger


class Tagger:
    """A loaded CRF model. Not thread-safe (crfsuite keeps per-call state); one per thread."""

    def __init__(self, model: str | Path | bytes) -> None:
        self._crf = pycrfsuite.Tagger()
        self._fast: Any = None
        self._word_codes: dict[tuple[str, int], tuple[int, int]] = {}
        # crfsuite reads the model in place: the bytes must live as long as the tagger.
        self._model_bytes = model if isinstance(model, bytes) else b""
        self._model_path = "" if isinstance(model, bytes) else str(model)
        try:
            if isinstance(model, bytes):
                self._crf.open_inmemory(model)
            else:
                self._crf.open(str(model))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load tagger model: {exc}") from exc

    @classmethod
    def default(cls) -> Tagger:
        """The packaged model: read once per process, one tagger per thread (crfsuite keeps
        per-call state, so threads must not share one)."""
        return _default_tagger()

    def tag(
        self, text: str, words: Sequence[tuple[str, int, int]] | None = None
    ) -> list[TaggedSpan]:
        """Names in `text` typed with ontology classes. `words` are jieba words of `text` with
        offsets into it (zhkg.segment.words); computed here when not given."""
        return [
            TaggedSpan(s, e, ONTOLOGY_TYPE[lab], conf)
            for s, e, lab, conf in self.tag_labels(text, words)
            if lab in ONTOLOGY_TYPE
        ]

    def tag_labels(
        self,
        text: str,
        words: Sequence[tuple[str, int, int]] | None = None,
        domain: str | None = DOMAIN_NEWS,
    ) -> list[tuple[int, int, str, float]]:
        """Spans with the model's own labels, for evaluation against either corpus."""
        if not text:
            return []
        if words is None:
            from zhkg.nlp.segment import words as segment_words

            words = segment_words(text)
        if len(text) <= _MAX_CHUNK:
            return self._tag_chunk(text, words, domain)
        from zhkg.nlp.segment import sentences

        out: list[tuple[int, int, str, float]] = []
        ordered = sorted(words, key=lambda w: w[1])
        starts = [w[1] for w in ordered]
        for cs, ce in _chunks(text, sentences(text)):
            lo, hi = bisect_left(starts, cs), bisect_left(starts, ce)
            sub = [(w, s - cs, e - cs) for w, s, e in ordered[lo:hi] if e <= ce]
            out.extend((s + cs, e + cs, lab, p)
                       for s, e, lab, p in self._tag_chunk(text[cs:ce], sub, domain))
        return out

    def tag_many(
        self,
        texts: Sequence[str],
        words: Sequence[Sequence[tuple[str, int, int]]],
        domain: str = DOMAIN_NEWS,
    ) -> list[list[TaggedSpan]]:
        """`tag` of each text (`words[k]` are text k's jieba words), all in one compiled pass.

        Gives what `tag_labels(text, words, domain)` gives (crfsuite), typed as `tag` types it,
        several times faster: see `zhkg.crf`."""
        return self.tag_domains(texts, words, (domain,))[0]

    def tag_domains(
        self,
        texts: Sequence[str],
        words: Sequence[Sequence[tuple[str, int, int]]],
        domains: Sequence[str],
    ) -> list[list[list[TaggedSpan]]]:
        """`tag_many` in each of `domains`, the text prepared once."""
        from zhkg.nlp import crf

        chunks: list[str] = []
        owners: list[tuple[int, int]] = []  # (text index, offset of the chunk in it)
        chunk_words: list[Sequence[tuple[str, int, int]]] = []
        for k, (text, ws) in enumerate(zip(texts, words, strict=True)):
            if len(text) <= _MAX_CHUNK:
                if text:
                    chunks.append(text)
                    owners.append((k, 0))
                    chunk_words.append(ws)
                continue
            from zhkg.nlp.segment import sentences

            for cs, ce in _chunks(text, sentences(text)):
                chunks.append(text[cs:ce])
                owners.append((k, cs))
                chunk_words.append([(w, s - cs, e - cs) for w, s, e in ws if cs <= s and e <= ce])
        results: list[list[list[TaggedSpan]]] = [[[] for _ in texts] for _ in domains]
        if not chunks:
            return results
        compiled = self._compiled()
        codes = self._word_codes
        coded: list[list[tuple[int, int, int, int]]] = []
        for chunk, ws in zip(chunks, chunk_words, strict=True):
            n = len(chunk)
            row = []
            for w, s, e in ws:
                if s < 0 or e > n or e <= s:
                    continue
                code = codes.get((w, e - s))
                if code is None:
                    code = self._word_code(w, e - s)
                row.append((s, e, *code))
            coded.append(row)
        prepared = compiled.prepare(chunks, coded)
        starts = prepared.starts
        outside = compiled.labels.index("O")
        states = compiled.states(prepared, [(d, d == DOMAIN_PD) for d in domains])
        for state, out in zip(states, results, strict=True):
            labels, probs = crf.decode(state, starts, compiled.transitions, outside)
            for seq, s, e, ty, conf in crf.spans(labels, probs, starts, compiled.head,
                                                 compiled.type).tolist():
                k, offset = owners[int(seq)]
                name = compiled.types[int(ty)]
                if name in ONTOLOGY_TYPE:
                    out[k].append(TaggedSpan(int(s) + offset, int(e) + offset,
                                             ONTOLOGY_TYPE[name], conf))
        return results

    def _compiled(self) -> Any:
        """The model as `zhkg.crf` arrays, built on first use (a second or so)."""
        if self._fast is None:
            from zhkg.nlp import crf

            model = self._model_bytes or Path(self._model_path).read_bytes()
            with _compiled_lock:  # one copy per model, shared by the threads' taggers
                fast = _compiled_models.get(model)
                if fast is None:
                    fast = crf.CompiledModel(model, _CLASSES, _WORD_KINDS, _WORD_TAGS)
                    if len(_compiled_models) >= 4:
                        _compiled_models.clear()
                    _compiled_models[model] = fast
            self._fast = fast
        return self._fast

    def _word_code(self, w: str, ln: int) -> tuple[int, int]:
        """A word's (suffix kind, dictionary tag) codes, as `_word_entry` spells them."""
        compiled = self._compiled()
        code = (compiled.kinds[_word_kind(w)], compiled.tags[_word_tag(w, ln)])
        if len(self._word_codes) > 200_000:
            self._word_codes.clear()
        self._word_codes[(w, ln)] = code
        return code

    def _tag_chunk(
        self, text: str, words: Sequence[tuple[str, int, int]], domain: str | None
    ) -> list[tuple[int, int, str, float]]:
        crf = self._crf
        crf.set(features(text, words, domain))
        labels = crf.tag()
        out = []
        for s, e, lab in bio_spans(labels):
            conf = min(crf.marginal(labels[i], i) for i in range(s, e))
            out.append((s, e, lab, conf))
        return out


def _chunks(text: str, sents: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence spans merged into chunks of at most `_MAX_CHUNK` characters where possible; an
    overlong sentence is cut at `_MAX_CHUNK` (a name cut there is lost, an acceptable rarity)."""
    out: list[tuple[int, int]] = []
    cur_s = cur_e = -1
    for s, e in sents:
        while e - s > _MAX_CHUNK:
            if cur_s >= 0:
                out.append((cur_s, cur_e))
                cur_s = -1
            out.append((s, s + _MAX_CHUNK))
            s += _MAX_CHUNK
        if cur_s >= 0 and e - cur_s <= _MAX_CHUNK:
            cur_e = e
        else:
            if cur_s >= 0:
                out.append((cur_s, cur_e))
            cur_s, cur_e = s, e
    if cur_s >= 0:
        out.append((cur_s, cur_e))
    return out
