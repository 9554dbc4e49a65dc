"""jieba's words, exactly, compiled: `Segmenter.tokenize(text) == list(tok.tokenize(text))`.

jieba's default mode (`Tokenizer.cut`, HMM on) costs ~3 µs a character in pure Python. This is
the same algorithm over arrays, its loops compiled with numba:

* the text is split into blocks as `re_han_default` splits it (CJK U+4E00..U+9FD5, ASCII letters
  and digits, ``+#&._%-``); every other character is a word of its own, except ``\\r\\n``, one
  word (what `re_skip_default` leaves of jieba's non-block branch);
* in a block, `get_DAG` + `calc` (the most probable route through the dictionary's words) run
  over a trie of `tok.FREQ` whose edges live in an open-addressing hash table keyed by
  (node, code point); each edge records whether the string it ends is a key of FREQ, whether
  its count is non-zero, and ``log(count or 1)`` computed with Python's `math.log`, so the route
  sums are the same float operations in the same order as jieba's (no fastmath);
* runs of single characters the route leaves (`__cut_DAG`'s buffer) that are not themselves a
  dictionary word go through `finalseg.cut`: CJK runs to the HMM Viterbi (emission tables dense
  over U+4E00..U+9FD5, the only characters `finalseg` ever feeds it), the rest split as its
  ``[a-zA-Z0-9]+(?:\\.\\d+)?%?`` pattern splits them.

Ties break as jieba's `max` over tuples breaks them: `calc` keeps the larger end index, Viterbi
the larger state letter (states are numbered B, E, M, S so letter order is index order); unseen
emissions and transitions are `finalseg.MIN_FLOAT`. Text is handled as code points (UTF-32 with
``surrogatepass``), as Python indexes it, so astral characters and lone surrogates count one.

The segmenter is a snapshot: words added to the tokenizer afterwards (`add_word`) are not seen.
`tests/test_wordseg.py` compares it with jieba on the CLUENER and People's Daily sentences, on
hand-written edge cases and on generated text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import jieba
import numba
import numpy as np
from jieba import finalseg

# `jieba.finalseg.MIN_FLOAT`: the log probability of what the HMM tables leave out.
MIN_FLOAT = -3.14e100
_HAN_LO = 0x4E00  # finalseg's and re_han_default's CJK range, U+4E00..U+9FD5
_HAN_HI = 0x9FD5
# HMM states in letter order, so "the larger letter wins a tie" is "the larger index wins".
_STATES = "BEMS"

Span = tuple[str, int, int]


# ---------------------------------------------------------------------------------------------
# Compiled kernels. `cps` are int32 code points. A trie is one int64 table `edges` of
# (key, child, kind, log weight) rows, open addressing, the key node * 0x110000 + code point and
# the child -1 in an empty slot: everything a step down the trie reads is in one 32-byte row.
# kind says what the child's string is in FREQ: -1 not a key, 0 a key with a zero count (a
# prefix), 1 a key with a non-zero count; the log weight, log(count or 1), is read through a
# float64 view of the same table (`weights`).


@numba.njit(cache=True, nogil=True)
def _slot(key: int, mask: int) -> int:  # pragma: no cover - compiled
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(29)
    return int(np.int64(h & np.uint64(mask)))


@numba.njit(cache=True, nogil=True)
def _child(edges: np.ndarray, node: int, cp: int) -> int:  # pragma: no cover - compiled
    """The row of the edge from `node` by `cp`, or -1."""
    mask = len(edges) - 1
    key = node * 0x110000 + cp
    at = _slot(key, mask)
    while True:
        if edges[at, 1] < 0:
            return -1
        if edges[at, 0] == key:
            return at
        at = (at + 1) & mask


@numba.njit(cache=True, nogil=True)
def _find(edges: np.ndarray, cps: np.ndarray, s: int,
          e: int) -> int:  # pragma: no cover - compiled
    """The row of the last edge of cps[s:e] (s < e), or -1."""
    at = -1
    node = 0
    for i in range(s, e):
        at = _child(edges, node, cps[i])
        if at < 0:
            return -1
        node = edges[at, 1]
    return at


@numba.njit(cache=True)
def _build_trie(cps: np.ndarray, key_starts: np.ndarray,
                edges: np.ndarray) -> tuple[int, np.ndarray]:  # pragma: no cover - compiled
    """Insert every key cps[key_starts[k]:key_starts[k + 1]] into an empty table: (node count,
    row of each key's last edge, -1 for the empty key), or (-1, ...) when the table would fill
    beyond three quarters (the caller doubles it)."""
    n_keys = len(key_starts) - 1
    mask = len(edges) - 1
    limit = (len(edges) * 3) // 4
    row_of = np.full(n_keys, -1, dtype=np.int64)
    n_nodes = 1
    for k in range(n_keys):
        node = 0
        for j in range(key_starts[k], key_starts[k + 1]):
            key = node * 0x110000 + cps[j]
            at = _slot(key, mask)
            while True:
                if edges[at, 1] < 0:
                    if n_nodes >= limit:
                        return -1, row_of
                    edges[at, 0] = key
                    edges[at, 1] = n_nodes
                    n_nodes += 1
                    break
                if edges[at, 0] == key:
                    break
                at = (at + 1) & mask
            node = edges[at, 1]
            row_of[k] = at
    return n_nodes, row_of


@numba.njit(cache=True, nogil=True)
def _is_block(c: int) -> bool:  # pragma: no cover - compiled
    """In jieba's re_han_default class: [\u4E00-\u9FD5a-zA-Z0-9+#&._%-]."""
    return ((0x4E00 <= c <= 0x9FD5) or (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122)
            or c == 43 or c == 35 or c == 38 or c == 46 or c == 95 or c == 37 or c == 45)


@numba.njit(cache=True, nogil=True)
def _is_alnum(c: int) -> bool:  # pragma: no cover - compiled
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122)


@numba.njit(cache=True, nogil=True)
def _put(out: np.ndarray, n: int, a: int, b: int) -> int:  # pragma: no cover - compiled
    out[n, 0] = a
    out[n, 1] = b
    return n + 1


@numba.njit(cache=True, nogil=True)
def _hmm(cps: np.ndarray, s: int, e: int, base: int, out: np.ndarray, n: int,
         start: np.ndarray, trans: np.ndarray, prev: np.ndarray, n_prev: np.ndarray,
         emit: np.ndarray, fedges: np.ndarray, n_forced: int,
         v: np.ndarray, back: np.ndarray, path: np.ndarray) -> int:  # pragma: no cover
    """finalseg.__cut on the CJK run cps[s:e] (viterbi, then its B/E/S walk), less the words of
    Force_Split_Words, which come out a character at a time."""
    m = e - s
    c0 = cps[s] - 0x4E00
    for y in range(4):
        v[0, y] = start[y] + emit[y, c0]
    for t in range(1, m):
        ct = cps[s + t] - 0x4E00
        for y in range(4):
            em = emit[y, ct]
            best = 0.0
            arg = -1
            for q in range(n_prev[y]):
                y0 = prev[y, q]
                p = v[t - 1, y0] + trans[y0, y] + em
                if arg < 0 or p > best or (p == best and y0 > arg):
                    best = p
                    arg = y0
            v[t, y] = best
            back[t, y] = arg
    # max((V[-1][y], y) for y in "ES")
    state = 3 if v[m - 1, 3] >= v[m - 1, 1] else 1
    for t in range(m - 1, -1, -1):
        path[t] = state
        if t > 0:
            state = back[t, state]
    begin = 0
    nexti = 0
    for t in range(m):
        pos = path[t]
        a = -1
        if pos == 0:  # B
            begin = t
        elif pos == 1:  # E
            a = begin
            nexti = t + 1
        elif pos == 3:  # S
            a = t
            nexti = t + 1
        if a >= 0:
            n = _word(cps, s + a, s + t + 1, base, out, n, fedges, n_forced)
    if nexti < m:
        n = _word(cps, s + nexti, e, base, out, n, fedges, n_forced)
    return n


@numba.njit(cache=True, nogil=True)
def _word(cps: np.ndarray, a: int, b: int, base: int, out: np.ndarray, n: int,
          fedges: np.ndarray, n_forced: int) -> int:  # pragma: no cover - compiled
    """One HMM word, or its characters when it is in Force_Split_Words."""
    if n_forced:
        at = _find(fedges, cps, a, b)
        if at >= 0 and fedges[at, 2] >= 0:
            for i in range(a, b):
                n = _put(out, n, i - base, i + 1 - base)
            return n
    return _put(out, n, a - base, b - base)


@numba.njit(cache=True, nogil=True)
def _finalseg(cps: np.ndarray, s: int, e: int, base: int, out: np.ndarray, n: int,
              start: np.ndarray, trans: np.ndarray, prev: np.ndarray, n_prev: np.ndarray,
              emit: np.ndarray, fedges: np.ndarray, n_forced: int,
              v: np.ndarray, back: np.ndarray, path: np.ndarray) -> int:  # pragma: no cover
    """finalseg.cut on cps[s:e]: CJK runs to the HMM; the rest split at
    [a-zA-Z0-9]+(?:\\.\\d+)?%? matches, the pieces between them kept whole."""
    i = s
    while i < e:
        j = i + 1
        if 0x4E00 <= cps[i] <= 0x9FD5:
            while j < e and 0x4E00 <= cps[j] <= 0x9FD5:
                j += 1
            n = _hmm(cps, i, j, base, out, n, start, trans, prev, n_prev, emit, fedges,
                     n_forced, v, back, path)
        else:
            while j < e and not (0x4E00 <= cps[j] <= 0x9FD5):
                j += 1
            # Only ASCII here (a block's non-CJK characters), so \d is [0-9].
            piece = i
            p = i
            while p < j:
                if not _is_alnum(cps[p]):
                    p += 1
                    continue
                q = p + 1
                while q < j and _is_alnum(cps[q]):
                    q += 1
                if q + 1 < j and cps[q] == 46 and 48 <= cps[q + 1] <= 57:
                    q += 2
                    while q < j and 48 <= cps[q] <= 57:
                        q += 1
                if q < j and cps[q] == 37:
                    q += 1
                if piece < p:
                    n = _put(out, n, piece - base, p - base)
                n = _put(out, n, p - base, q - base)
                p = q
                piece = q
            if piece < j:
                n = _put(out, n, piece - base, j - base)
        i = j
    return n


@numba.njit(cache=True, nogil=True)
def _flush(cps: np.ndarray, s: int, e: int, base: int, out: np.ndarray, n: int,
           edges: np.ndarray, start: np.ndarray,
           trans: np.ndarray, prev: np.ndarray, n_prev: np.ndarray, emit: np.ndarray,
           fedges: np.ndarray, n_forced: int, v: np.ndarray,
           back: np.ndarray, path: np.ndarray) -> int:  # pragma: no cover - compiled
    """__cut_DAG's buffer cps[s:e] of single-character steps."""
    if e - s == 1:
        return _put(out, n, s - base, e - base)
    at = _find(edges, cps, s, e)
    if at >= 0 and edges[at, 2] == 1:  # FREQ.get(buf) is truthy: one word a character
        for i in range(s, e):
            n = _put(out, n, i - base, i + 1 - base)
        return n
    return _finalseg(cps, s, e, base, out, n, start, trans, prev, n_prev, emit, fedges,
                     n_forced, v, back, path)


@numba.njit(cache=True, nogil=True)
def _block(cps: np.ndarray, s: int, e: int, base: int, out: np.ndarray, n: int,
           edges: np.ndarray, weights: np.ndarray,
           logtotal: float, start: np.ndarray, trans: np.ndarray, prev: np.ndarray,
           n_prev: np.ndarray, emit: np.ndarray, fedges: np.ndarray,
           n_forced: int, rp: np.ndarray, rx: np.ndarray, v: np.ndarray, back: np.ndarray,
           path: np.ndarray) -> int:  # pragma: no cover - compiled
    """Tokenizer.__cut_DAG on the block cps[s:e]: get_DAG and calc fused, right to left."""
    m = e - s
    rp[m] = 0.0
    rx[m] = 0
    for idx in range(m - 1, -1, -1):
        found = False
        best = 0.0
        bx = idx
        i = idx
        at = _child(edges, 0, cps[s + idx])
        while at >= 0 and edges[at, 2] >= 0:  # frag in FREQ
            if edges[at, 2] == 1:  # FREQ[frag] is truthy: i is in DAG[idx]
                p = weights[at, 3] - logtotal + rp[i + 1]
                if not found or p >= best:  # max over (p, x), x ascending: ties to larger x
                    best = p
                    bx = i
                    found = True
            i += 1
            if i >= m:
                break
            at = _child(edges, edges[at, 1], cps[s + i])
        if not found:  # DAG[idx] == [idx], log(FREQ.get(char) or 1) == log(1)
            best = 0.0 - logtotal + rp[idx + 1]
            bx = idx
        rp[idx] = best
        rx[idx] = bx
    x = 0
    buf = -1
    while x < m:
        y = rx[x] + 1
        if y - x == 1:
            if buf < 0:
                buf = x
        else:
            if buf >= 0:
                n = _flush(cps, s + buf, s + x, base, out, n, edges, start, trans,
                           prev, n_prev, emit, fedges, n_forced, v, back, path)
                buf = -1
            n = _put(out, n, s + x - base, s + y - base)
        x = y
    if buf >= 0:
        n = _flush(cps, s + buf, e, base, out, n, edges, start, trans, prev,
                   n_prev, emit, fedges, n_forced, v, back, path)
    return n


@numba.njit(cache=True, nogil=True)
def _segment(cps: np.ndarray, starts: np.ndarray, edges: np.ndarray, logtotal: float,
             hmm: np.ndarray, states: np.ndarray, fedges: np.ndarray,
             n_forced: int) -> np.ndarray:  # pragma: no cover - compiled
    """Words of every text cps[starts[k]:starts[k + 1]], as one array (one to box, not four):
    first (n_text + 1), gapless (n_text), ends (n), begins (n), where text k's words are
    (begins[i], ends[i]) for first[k] <= i < first[k + 1], offsets in the text, and gapless[k]
    is 1 when they tile the text (so jieba's running offsets are the spans themselves).

    Few arguments, each costing a call ~0.1 µs: `hmm` rows are the states, its columns the
    start probability, the transitions to each state, then the emissions of U+4E00...; `states`
    rows are how many states may precede each state, then which."""
    weights = edges.view(np.float64)
    start = hmm[:, 0]
    trans = hmm[:, 1:5]
    emit = hmm[:, 5:]
    n_prev = states[:, 0]
    prev = states[:, 1:]
    n_text = len(starts) - 1
    longest = 1
    for k in range(n_text):
        longest = max(longest, starts[k + 1] - starts[k])
    rp = np.empty(longest + 1, dtype=np.float64)
    rx = np.empty(longest + 1, dtype=np.int64)
    v = np.empty((longest, 4), dtype=np.float64)
    back = np.empty((longest, 4), dtype=np.int8)
    path = np.empty(longest, dtype=np.int8)
    out = np.empty((len(cps), 2), dtype=np.int64)
    res_head = 2 * n_text + 1
    first = np.zeros(res_head, dtype=np.int64)  # then gapless flags
    n = 0
    for k in range(n_text):
        base = starts[k]
        end = starts[k + 1]
        i = base
        while i < end:
            if _is_block(cps[i]):
                j = i + 1
                while j < end and _is_block(cps[j]):
                    j += 1
                n = _block(cps, i, j, base, out, n, edges, weights, logtotal, start,
                           trans, prev, n_prev, emit, fedges, n_forced, rp, rx, v, back,
                           path)
                i = j
            elif cps[i] == 13 and i + 1 < end and cps[i + 1] == 10:  # "\r\n" is one word
                n = _put(out, n, i - base, i + 2 - base)
                i += 2
            else:
                n = _put(out, n, i - base, i + 1 - base)
                i += 1
        first[k + 1] = n
        at = 0
        tiled = 1
        for w in range(first[k], n):
            if out[w, 0] != at:
                tiled = 0
            at = out[w, 1]
        first[n_text + 1 + k] = tiled if at == end - base else 0
    res = np.empty(res_head + 2 * n, dtype=np.int64)
    res[:res_head] = first
    res[res_head:res_head + n] = out[:n, 1]
    res[res_head + n:] = out[:n, 0]
    return res


# ---------------------------------------------------------------------------------------------


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.int32)


def _trie(keys: Sequence[str], counts: Sequence[Any]) -> np.ndarray:
    """The edge table of a trie over `keys`, each key's count as kind and log weight."""
    cps = _codepoints("".join(keys))
    key_starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, keys), dtype=np.int64, count=len(keys)), out=key_starts[1:])
    size = 1 << max(4, (2 * len(keys) + 2).bit_length())
    while True:
        edges = np.full((size, 4), -1, dtype=np.int64)
        n_nodes, row_of = _build_trie(cps, key_starts, edges)
        if n_nodes >= 0:
            break
        size *= 2
    has_row = row_of >= 0  # all but the empty key, which no look-up asks for
    rows = row_of[has_row]
    n = len(counts)
    edges[rows, 2] = np.fromiter(map(bool, counts), dtype=np.bool_, count=n)[has_row]
    # jieba: log(self.FREQ.get(word) or 1), with math.log (numpy's log may round differently),
    # once for each distinct count.
    log_of = {c: math.log(c or 1) for c in set(counts)}
    edges.view(np.float64)[rows, 3] = np.fromiter(map(log_of.__getitem__, counts),
                                                  dtype=np.float64, count=n)[has_row]
    return edges


class Segmenter:
    """jieba's default-mode words (HMM on) for one tokenizer's dictionary, compiled."""

    def __init__(self, freq: Mapping[str, Any], total: float, start_p: Mapping[str, float],
                 trans_p: Mapping[str, Mapping[str, float]],
                 emit_p: Mapping[str, Mapping[str, float]], prev_status: Mapping[str, str],
                 force_split: Sequence[str] = ()) -> None:
        """The dictionary (`Tokenizer.FREQ`, `.total`) and finalseg's HMM tables, as arrays."""
        self.edges = _trie(list(freq), list(freq.values()))
        self.logtotal = math.log(total)
        # The HMM: per state, start, transitions to B, E, M, S, emissions of U+4E00..U+9FD5.
        self.hmm = np.full((4, 5 + _HAN_HI - _HAN_LO + 1), MIN_FLOAT, dtype=np.float64)
        self.states = np.zeros((4, 5), dtype=np.int64)  # per state: count, preceding states
        for i, y in enumerate(_STATES):
            self.hmm[i, 0] = start_p[y]
            for j, y1 in enumerate(_STATES):
                self.hmm[i, 1 + j] = trans_p[y].get(y1, MIN_FLOAT)
            before = prev_status[y]
            if not before:
                raise ValueError(f"no state may precede {y!r}")
            self.states[i, 0] = len(before)
            self.states[i, 1:1 + len(before)] = [_STATES.index(y0) for y0 in before]
            for ch, p in emit_p[y].items():
                if len(ch) == 1 and _HAN_LO <= ord(ch) <= _HAN_HI:
                    self.hmm[i, 5 + ord(ch) - _HAN_LO] = p
        forced = sorted(force_split)
        self.fedges = _trie(forced, [1] * len(forced))
        self.n_forced = len(forced)

    @classmethod
    def from_tokenizer(cls, tok: jieba.Tokenizer) -> Segmenter:
        """A segmenter for `tok` as it is now (initialised if it was not), with the HMM tables
        of `jieba.finalseg`. About 0.2 s of array building, plus ~0.3 s in a fresh process to
        load the compiled code from numba's cache (several seconds to compile without one)."""
        tok.check_initialized()
        return cls(tok.FREQ, tok.total, finalseg.start_P, finalseg.trans_P, finalseg.emit_P,
                   finalseg.PrevStatus, sorted(finalseg.Force_Split_Words))

    def _segment(self, cps: np.ndarray, starts: np.ndarray) -> np.ndarray:
        res: np.ndarray = _segment(cps, starts, self.edges, self.logtotal, self.hmm,
                                   self.states, self.fedges, self.n_forced)
        return res

    def tokenize_many(self, texts: Sequence[str]) -> list[list[Span]]:
        """[self.tokenize(t) for t in texts], in one compiled call."""
        n_text = len(texts)
        if not n_text:
            return []
        for t in texts:
            if not isinstance(t, str):
                raise ValueError("jieba: the input parameter should be unicode.")
        starts = np.zeros(n_text + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n_text), out=starts[1:])
        res = self._segment(_codepoints("".join(texts)), starts)
        head = 2 * n_text + 1
        n = int(res[n_text])
        # 1-d int64 arrays convert to lists fast (a 2-d one ~100 times slower a row).
        meta: list[int] = res[:head + n].tolist()
        return [_words(t, meta[head + meta[k]:head + meta[k + 1]], meta[n_text + 1 + k],
                       res, head + n + meta[k])
                for k, t in enumerate(texts)]

    def tokenize(self, text: str) -> list[Span]:
        """`list(jieba.Tokenizer.tokenize(text))`: (word, start, end), default mode, HMM on."""
        if isinstance(text, str) and not text:
            return []
        return self.tokenize_many([text])[0]


def _words(text: str, ends: list[int], tiled: int, res: np.ndarray, begins: int) -> list[Span]:
    """(word, start, end) of `text` from its words' ends (and begins, res[begins:], read only
    when the words do not tile the text)."""
    if tiled:
        s = [0]
        s += ends
        return [(text[a:b], a, b) for a, b in zip(s, ends, strict=False)]
    words: list[Span] = []
    at = 0  # jieba's offsets are running sums of word lengths, whatever the words
    for a, b in zip(res[begins:begins + len(ends)].tolist(), ends, strict=True):
        words.append((text[a:b], at, at + b - a))
        at += b - a
    return words
