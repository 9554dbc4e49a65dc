"""Fast inference for the tagger's CRF: the same model and features, as integers, decoded compiled.

crfsuite needs every feature as a string: building ~16 attribute strings a character and having
crfsuite look them up cost ~10 µs a character, three quarters of the tagger and more than the rest
of extraction. Here the model file is read directly (labels, attribute strings, exact weights),
each character column's attributes become integer keys (an n-gram's code points, or class codes,
packed into one int64) in a hash table, and feature lookup, Viterbi and the marginals run in
numba-compiled loops over all the sentences of a document at once, in either domain
(`zhkg.tagger.features`). crfsuite stays the trainer and the reference: `tests/test_crf.py`
checks that this gives crfsuite's labels and marginals.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np

# Character columns of `zhkg.tagger.features`: attribute prefix -> offsets of the characters it
# reads (relative to the tagged character). The class window `j` reads five class codes.
CHAR_COLUMNS: dict[str, tuple[int, ...]] = {
    "a": (-2,), "b": (-1,), "c": (0,), "d": (1,), "e": (2,),
    "f": (-2, -1), "g": (-1, 0), "h": (0, 1), "i": (1, 2),
    "l": (-1, 0, 1),
}
CLASS_COLUMN = "j"
_BITS = 21  # a code point fits in 21 bits: three of them in an int64


def _read_model(model: bytes) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """(labels, attributes, state weights, transition weights) of a crfsuite (CRF1d) model file.

    Read from the file itself: `pycrfsuite.Tagger.info` parses a text dump (a second and a half)
    and rounds the weights. The header gives the offsets of the label and attribute string tables
    (CQDB chunks, whose backward array lists each string's record by id) and of the FEAT chunk,
    every feature as (type, source, destination, weight): type 0 is an attribute's weight for a
    label, type 1 a transition's. State weights get one row per attribute."""
    header = struct.unpack_from("<4sI4sIIIIIIIII", model, 0)
    magic, _, kind, _, _, n_labels, n_attrs, off_features, off_labels, off_attrs = header[:10]
    if magic != b"lCRF" or kind != b"FOMC":
        raise ValueError("not a crfsuite CRF1d model")
    labels = _strings(model, off_labels, n_labels)
    attrs = _strings(model, off_attrs, n_attrs)
    state = np.zeros((n_attrs, n_labels), dtype=np.float64)
    transitions = np.zeros((n_labels, n_labels), dtype=np.float64)
    chunk, _, count = struct.unpack_from("<4sII", model, off_features)
    if chunk != b"FEAT":
        raise ValueError("no feature chunk in the CRF model")
    feats = np.frombuffer(model, dtype=np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"),
                                                 ("w", "<f8")]),
                          count=count, offset=off_features + 12)
    is_state = feats["type"] == 0
    state[feats["src"][is_state], feats["dst"][is_state]] = feats["w"][is_state]
    is_trans = feats["type"] == 1
    transitions[feats["src"][is_trans], feats["dst"][is_trans]] = feats["w"][is_trans]
    return labels, attrs, state, transitions


def _strings(model: bytes, offset: int, count: int) -> list[str]:
    """The strings of a CQDB chunk by id: records are (id, size, bytes with a final NUL)."""
    chunk, _, _, _, n_back, back_offset = struct.unpack_from("<4sIIIII", model, offset)
    if chunk != b"CQDB" or n_back < count:
        raise ValueError("no string table where the CRF model says")
    back = struct.unpack_from(f"<{count}I", model, offset + back_offset)
    out = []
    for i, at in enumerate(back):
        record, size = struct.unpack_from("<II", model, offset + at)
        if record != i:
            raise ValueError("a damaged string table in the CRF model")
        start = offset + at + 8
        out.append(model[start : start + size - 1].decode("utf-8"))
    return out


def _pack(codes: Sequence[int], bits: int) -> int:
    key = 0
    for c in codes:
        key = (key << bits) | c
    return key


#: Places of a character in its word, as `zhkg.tagger._word_entry` spells them, and their codes.
PLACES = "BMES"


class CompiledModel:
    """A crfsuite model's weights as arrays (state weights per attribute, transitions, labels),
    and the `Featurizer`s that turn text into attribute ids: the shared attributes, and their
    `~` copies (`zhkg.tagger.features`' People's Daily domain)."""

    def __init__(self, model: bytes, classes: dict[int, str], word_kinds: Sequence[str],
                 word_tags: Sequence[str]) -> None:
        self.labels, attrs, self.weights, self.transitions = _read_model(model)
        self.attr_ids = {attr: i for i, attr in enumerate(attrs)}
        # Label heads and types for span decoding: head 0 = O, 1 = B, 2 = I, 3 = E, 4 = S.
        self.types = sorted({lab[2:] for lab in self.labels if lab != "O"})
        heads = {"B-": 1, "I-": 2, "E-": 3, "S-": 4}
        self.head = np.array([0 if lab == "O" else heads.get(lab[:2], 1) for lab in self.labels],
                             dtype=np.int8)
        self.type = np.array([-1 if lab == "O" else self.types.index(lab[2:])
                              for lab in self.labels], dtype=np.int16)
        # Character classes as small codes (1..15), for the class window's packed keys.
        letters = sorted({*classes.values(), "O"})
        self.class_code = {c: i + 1 for i, c in enumerate(letters)}
        self.class_table = np.full(0x110000, self.class_code["O"], dtype=np.int64)
        for cp, letter in classes.items():
            self.class_table[cp] = self.class_code[letter]
        self.word_kinds, self.word_tags = list(word_kinds), list(word_tags)
        self.kinds = {k: i for i, k in enumerate(word_kinds)}
        self.tags = {t: i for i, t in enumerate(word_tags)}

    @cached_property
    def shared(self) -> Featurizer:
        return Featurizer(self, "")

    @cached_property
    def copies(self) -> Featurizer:
        return Featurizer(self, "~")

    def prepare(self, texts: Sequence[str],
                words: Sequence[Sequence[tuple[int, int, int, int]]]) -> Prepared:
        """The texts as arrays, for `features` in any domain.

        `words[k]` are text k's words as (start, end, kind code, tag code), offsets in the text.
        Each text is padded with its own two start and end marks, as `zhkg.tagger.features` pads
        it, so no window reads across texts."""
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        padded_text = "".join("\x02\x02" + t + "\x03\x03" for t in texts)
        padded = np.frombuffer(padded_text.encode("utf-32-le", "surrogatepass"),
                               dtype=np.uint32).astype(np.int64)
        flat = [(s + base, e + base, kind, tag, int(i == 0))
                for ws, base in zip(words, starts.tolist(), strict=False)
                for i, (s, e, kind, tag) in enumerate(ws)]
        return Prepared(padded, self.class_table[padded], starts,
                        np.array(flat, dtype=np.int64).reshape(-1, 5))

    def states(self, prepared: Prepared,
               domains: Sequence[tuple[str, bool]]) -> list[np.ndarray]:
        """For each (domain, with copies) of `domains`, the state weights of every label at
        every character of every prepared text, a row a character, texts one after another
        (text k's rows start at `prepared.starts[k]`): the sum of the weights of the character's
        attributes, added in crfsuite's attribute order (the shared ones, the domain's own, the
        `~` copies).

        The shared attributes are the same in every domain: they are looked up and summed once,
        and each domain adds its own attribute and, if it has them, the copies."""
        p = prepared
        base = np.zeros((int(p.starts[-1]), self.weights.shape[1]))  # a row a character
        _accumulate(base, self.shared.ids(p), self.weights)
        copied: np.ndarray | None = None
        out: list[np.ndarray] = []
        for domain, copies in domains:
            state = base.copy()
            own = self.attr_ids.get("D" + domain)
            if own is not None:
                state += self.weights[own]
            if copies:
                if copied is None:
                    copied = self.copies.ids(p)
                _accumulate(state, copied, self.weights)
            out.append(state)
        return out


@dataclass(frozen=True)
class Prepared:
    """Texts as code points (each padded), character classes, first rows, and words."""

    padded: np.ndarray
    classes: np.ndarray
    starts: np.ndarray
    words: np.ndarray


class Featurizer:
    """One family of a model's attributes (the shared ones, or the `~` copies) as integer-keyed
    hash tables: the character columns' packed keys, and the word columns' small tables."""

    def __init__(self, model: CompiledModel, copy: str) -> None:
        attr_ids = model.attr_ids

        def attr(name: str) -> int:
            return attr_ids.get(copy + name, -1)

        code = model.class_code
        names = [*CHAR_COLUMNS, CLASS_COLUMN]
        self.offsets = np.zeros((len(names), 5), dtype=np.int64)
        self.counts = np.zeros(len(names), dtype=np.int64)
        self.bits = np.zeros(len(names), dtype=np.int64)
        keys: list[int] = []
        cols: list[int] = []
        ids: list[int] = []
        skip = len(copy)
        column: dict[str, tuple[int, int]] = {}  # prefix -> (column, attribute length)
        for c, name in enumerate(names):
            offs = CHAR_COLUMNS.get(name, (-2, -1, 0, 1, 2))
            self.offsets[c, : len(offs)] = offs
            self.counts[c] = len(offs)
            self.bits[c] = 4 if name == CLASS_COLUMN else _BITS
            column[name] = (c, 1 + len(offs))
        for full, i in attr_ids.items():  # one pass: ~90,000 attributes
            if full[:skip] != copy:
                continue
            a = full[skip:]
            found = column.get(a[:1])
            if found is None or len(a) != found[1]:
                continue
            c = found[0]
            if c == len(names) - 1:  # the class window
                if not all(ch in code for ch in a[1:]):
                    continue
                parts = [code[ch] for ch in a[1:]]
            else:
                parts = [ord(ch) for ch in a[1:]]
            keys.append(_pack(parts, int(self.bits[c])))
            cols.append(c)
            ids.append(i)
        self.class_column = len(names) - 1
        size = 1 << max(4, (2 * len(keys)).bit_length())
        self.table_keys = np.zeros(size, dtype=np.int64)
        self.table_cols = np.full(size, -1, dtype=np.int64)
        self.table_ids = np.full(size, -1, dtype=np.int32)
        _fill(self.table_keys, self.table_cols, self.table_ids,
              np.array(keys, dtype=np.int64), np.array(cols, dtype=np.int64),
              np.array(ids, dtype=np.int32))
        # Word columns: ids by (place, length class), (tag, place), (kind, place), kind.
        kinds, tags = model.word_kinds, model.word_tags
        self.shape_ids = np.array([[attr("w" + p + lb) if p != "S" else attr("wS")
                                    for lb in "23"] for p in PLACES], dtype=np.int32)
        self.tag_ids = np.array([[attr("p" + t + p) for p in PLACES] for t in tags],
                                dtype=np.int32)
        self.kind_ids = np.array([[attr("s" + k + p) for p in PLACES] for k in kinds],
                                 dtype=np.int32)
        self.prev_ids = np.array([attr("t" + k) for k in kinds], dtype=np.int32)
        self.word_defaults = np.array([attr("wS"), attr("pX"), attr("s-"), attr("t-")],
                                      dtype=np.int32)

    def ids(self, p: Prepared) -> np.ndarray:
        """This family's attribute ids of every prepared character, a row a character (-1:
        none)."""
        return _featurize(p.padded, p.classes, p.starts, self.offsets, self.counts, self.bits,
                          self.class_column, self.table_keys, self.table_cols, self.table_ids,
                          p.words, self.shape_ids, self.tag_ids, self.kind_ids, self.prev_ids,
                          self.word_defaults)


@numba.njit(cache=True, nogil=True)
def _slot(key: int, col: int, mask: int) -> int:  # pragma: no cover - compiled
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(col + 1) * np.uint64(
        0xC2B2AE3D27D4EB4F)
    h ^= h >> np.uint64(29)
    return int(np.int64(h & np.uint64(mask)))


@numba.njit(cache=True)
def _fill(tkeys: np.ndarray, tcols: np.ndarray, tids: np.ndarray, keys: np.ndarray,
          cols: np.ndarray, ids: np.ndarray) -> None:  # pragma: no cover - compiled
    mask = len(tkeys) - 1
    for n in range(len(keys)):
        at = _slot(keys[n], cols[n], mask)
        while tcols[at] >= 0:
            at = (at + 1) & mask
        tkeys[at], tcols[at], tids[at] = keys[n], cols[n], ids[n]


@numba.njit(cache=True, nogil=True)
def _featurize(padded: np.ndarray, classes: np.ndarray, starts: np.ndarray, offsets: np.ndarray,
               counts: np.ndarray, bits: np.ndarray, class_column: int, tkeys: np.ndarray,
               tcols: np.ndarray, tids: np.ndarray, words: np.ndarray, shape_ids: np.ndarray,
               tag_ids: np.ndarray, kind_ids: np.ndarray, prev_ids: np.ndarray,
               defaults: np.ndarray) -> np.ndarray:  # pragma: no cover
    n_text = len(starts) - 1
    n = starts[n_text]
    n_char = len(counts)
    ids = np.empty((n, n_char + 4), dtype=np.int32)
    mask = len(tkeys) - 1
    for k in range(n_text):
        for r in range(starts[k], starts[k + 1]):
            p = r + 4 * k + 2  # its index in `padded`: each text has two marks before and after
            for c in range(n_char):
                key = 0
                for m in range(counts[c]):
                    if c == class_column:
                        v = classes[p + offsets[c, m]]
                    else:
                        v = padded[p + offsets[c, m]]
                    key = (key << bits[c]) | v
                at = _slot(key, c, mask)
                found = -1
                while tcols[at] >= 0:
                    if tcols[at] == c and tkeys[at] == key:
                        found = tids[at]
                        break
                    at = (at + 1) & mask
                ids[r, c] = found
            for d in range(4):
                ids[r, n_char + d] = defaults[d]
    last_kind = -1
    for w in range(len(words)):
        s, e, kind, tag, first = words[w, 0], words[w, 1], words[w, 2], words[w, 3], words[w, 4]
        if first:
            last_kind = -1
        ln = e - s
        for r in range(s, e):
            if ln == 1:
                place = 3
            elif r == s:
                place = 0
            elif r == e - 1:
                place = 2
            else:
                place = 1
            ids[r, n_char] = shape_ids[place, 1 if ln >= 3 else 0]
            ids[r, n_char + 1] = tag_ids[tag, place]
            ids[r, n_char + 2] = kind_ids[kind, place]
        ids[s, n_char + 3] = defaults[3] if last_kind < 0 else prev_ids[last_kind]
        last_kind = kind
    return ids


@numba.njit(cache=True, nogil=True)
def _accumulate(state: np.ndarray, ids: np.ndarray,
                weights: np.ndarray) -> None:  # pragma: no cover - compiled
    """Add to each row of `state` the weights of that row's attribute ids (-1: none), in column
    order."""
    n, n_feat = ids.shape
    n_labels = state.shape[1]
    for i in range(n):
        for f in range(n_feat):
            a = ids[i, f]
            if a >= 0:
                for lab in range(n_labels):
                    state[i, lab] += weights[a, lab]


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def decode(state: np.ndarray, starts: np.ndarray, trans: np.ndarray,
           outside: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Viterbi labels of each sequence and the marginal probability of each chosen label.

    Sequences are rows starts[k]:starts[k+1] of `state` (`CompiledModel.states`). The same
    recurrences as crfsuite's (first-order, no start or end weights; the first best label wins a
    tie); marginals by scaled forward-backward, skipped (left 0) for a sequence labelled all
    `outside` (O): only spans' marginals are read."""
    n = state.shape[0]
    n_labels = trans.shape[0]
    labels = np.zeros(n, dtype=np.int32)
    probs = np.zeros(n)
    exp_trans = np.exp(trans)
    trans_t = np.ascontiguousarray(trans.T)  # inner loops run over the previous label
    exp_trans_t = np.ascontiguousarray(exp_trans.T)
    for k in range(len(starts) - 1):
        s, e = starts[k], starts[k + 1]
        if e <= s:
            continue
        t_len = e - s
        score = np.empty((t_len, n_labels))
        back = np.zeros((t_len, n_labels), dtype=np.int32)
        for lab in range(n_labels):
            score[0, lab] = state[s, lab]
        for t in range(1, t_len):
            for j in range(n_labels):
                best = -np.inf
                arg = 0
                for i in range(n_labels):
                    v = score[t - 1, i] + trans_t[j, i]
                    if v > best:
                        best = v
                        arg = i
                score[t, j] = best + state[s + t, j]
                back[t, j] = arg
        best = -np.inf
        arg = 0
        for j in range(n_labels):
            if score[t_len - 1, j] > best:
                best = score[t_len - 1, j]
                arg = j
        labels[e - 1] = arg
        for t in range(t_len - 1, 0, -1):
            arg = back[t, arg]
            labels[s + t - 1] = arg
        named = False
        for t in range(s, e):
            if labels[t] != outside:
                named = True
                break
        if not named:
            continue
        # Forward-backward on exp(state - max of the row), each step normalised.
        ex = np.empty((t_len, n_labels))
        for t in range(t_len):
            m = state[s + t, 0]
            for j in range(1, n_labels):
                m = max(m, state[s + t, j])
            for j in range(n_labels):
                ex[t, j] = np.exp(state[s + t, j] - m)
        alpha = np.empty((t_len, n_labels))
        beta = np.empty((t_len, n_labels))
        total = 0.0
        for j in range(n_labels):
            alpha[0, j] = ex[0, j]
            total += alpha[0, j]
        for j in range(n_labels):
            alpha[0, j] /= total
        for t in range(1, t_len):
            total = 0.0
            for j in range(n_labels):
                v = 0.0
                for i in range(n_labels):
                    v += alpha[t - 1, i] * exp_trans_t[j, i]
                alpha[t, j] = v * ex[t, j]
                total += alpha[t, j]
            for j in range(n_labels):
                alpha[t, j] /= total
        for j in range(n_labels):
            beta[t_len - 1, j] = 1.0
        for t in range(t_len - 2, -1, -1):
            total = 0.0
            for i in range(n_labels):
                v = 0.0
                for j in range(n_labels):
                    v += exp_trans[i, j] * ex[t + 1, j] * beta[t + 1, j]
                beta[t, i] = v
                total += v
            for i in range(n_labels):
                beta[t, i] /= total
        for t in range(t_len):
            z = 0.0
            for j in range(n_labels):
                z += alpha[t, j] * beta[t, j]
            probs[s + t] = alpha[t, labels[s + t]] * beta[t, labels[s + t]] / z
    return labels, probs


@numba.njit(cache=True, nogil=True)
def _put(out: np.ndarray, n: int, seq: int, start: int, end: int, type_: int,
         prob: float) -> int:  # pragma: no cover - compiled
    out[n, 0] = seq
    out[n, 1] = start
    out[n, 2] = end
    out[n, 3] = type_
    out[n, 4] = prob
    return n + 1


@numba.njit(cache=True, nogil=True)
def spans(labels: np.ndarray, probs: np.ndarray, starts: np.ndarray, head: np.ndarray,
          types: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Rows (sequence, start, end, type, least marginal) of the labelled runs, offsets within
    their sequence: `zhkg.tagger.bio_spans` of each sequence, a stray I- or E- starting a run."""
    out = np.empty((len(labels), 5))
    n = 0
    for k in range(len(starts) - 1):
        s, e = starts[k], starts[k + 1]
        cur = -1
        begin = 0
        low = 1.0
        for i in range(s, e):
            h = head[labels[i]]
            ty = types[labels[i]]
            if cur >= 0 and (h == 2 or h == 3) and ty == cur:
                low = min(low, probs[i])
                if h == 3:
                    n = _put(out, n, k, begin - s, i + 1 - s, cur, low)
                    cur = -1
                continue
            if cur >= 0:
                n = _put(out, n, k, begin - s, i - s, cur, low)
                cur = -1
            if h == 0:
                continue
            if h == 4 or h == 3:
                n = _put(out, n, k, i - s, i + 1 - s, ty, probs[i])
            else:
                cur, begin, low = ty, i, probs[i]
        if cur >= 0:
            n = _put(out, n, k, begin - s, e - s, cur, low)
    return out[:n]
