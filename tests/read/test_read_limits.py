"""Inputs that could sink a run (issue 13): an article too long, a decompression bomb, short Big5
text, damaged UTF-8, a JSON-LD file that points at a remote context. Each is read right or
skipped with a message naming the file (and line), and the rest is read.

Every large input is generated here, in tmp_path: the bombs are small on disk (a gzip member
of 1 MiB of zeros, repeated) and the oversized files are sparse.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhkg.cli import cli
from zhkg.errors import InputError
from zhkg.model import Document
from zhkg.read import DEFAULT_MAX_ARTICLE_CHARS, iter_documents

SENTENCE = "浙江省杭州市推进数字经济发展，企业加快转型升级。"
MIB = 1 << 20


def read(*paths: Path, **kwargs: int | None) -> tuple[list[Document], list[InputError]]:
    errors: list[InputError] = []
    docs = list(iter_documents(list(paths), errors.append, **kwargs))
    return docs, errors


# -- the article size limit ---------------------------------------------------------------------


def test_an_article_over_the_limit_is_skipped_named_and_the_rest_read(tmp_path: Path) -> None:
    (tmp_path / "a_long.txt").write_text("标题\n2021-03-01\n" + "长" * 99, encoding="utf-8")
    (tmp_path / "b_fits.txt").write_text("标题\n2021-03-01\n" + "短" * 98, encoding="utf-8")
    lines = [{"id": "j1", "text": "短" * 10}, {"id": "j2", "title": "题" * 50, "text": "长" * 51},
             {"id": "j3", "text": "\U00020000" * 101}, {"id": "j4", "text": "短" * 100}]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r) for r in lines), encoding="utf-8")
    docs, errors = read(tmp_path, max_chars=100)
    assert [d.id for d in docs] == ["b_fits", "j1", "j4"]  # title and text count, not the date
    assert [(Path(e.path).name, e.line) for e in errors] == [
        ("a_long.txt", None), ("c.jsonl", 2), ("c.jsonl", 3)]
    assert str(errors[0]) == (f"{tmp_path / 'a_long.txt'}: article too long (101 characters > "
                              "100, the limit of --max-article-chars)")
    assert errors[1].reason == errors[0].reason
    assert errors[2].reason.startswith("article too long (101 characters")


def test_an_input_larger_than_the_limit_allows_is_not_read(tmp_path: Path) -> None:
    # sparse: more bytes than DEFAULT_MAX_ARTICLE_CHARS characters can take in any encoding
    with open(tmp_path / "big.txt", "wb") as f:
        f.truncate(4 * DEFAULT_MAX_ARTICLE_CHARS + 8192)
    (tmp_path / "small.txt").write_text(SENTENCE, encoding="utf-8")
    docs, errors = read(tmp_path)
    assert [d.id for d in docs] == ["small"]
    assert len(errors) == 1 and errors[0].path == str(tmp_path / "big.txt")
    assert errors[0].reason.startswith(f"too large ({4 * DEFAULT_MAX_ARTICLE_CHARS + 8192} bytes")
    assert errors[0].reason.endswith(f": more than {DEFAULT_MAX_ARTICLE_CHARS} characters, the "
                                     "limit of --max-article-chars)")


def test_the_default_limit_reads_an_article_at_the_limit(tmp_path: Path) -> None:
    (tmp_path / "at.txt").write_text("a" * DEFAULT_MAX_ARTICLE_CHARS, encoding="utf-8")
    (tmp_path / "over.txt").write_text("a" * (DEFAULT_MAX_ARTICLE_CHARS + 1), encoding="utf-8")
    docs, errors = read(tmp_path)
    assert [(d.id, len(d.text)) for d in docs] == [("at", DEFAULT_MAX_ARTICLE_CHARS)]
    assert [(Path(e.path).name, e.reason.split(" (")[0]) for e in errors] == [
        ("over.txt", "article too long")]
    docs, errors = read(tmp_path, max_chars=None)
    assert len(docs) == 2 and errors == []


def test_extract_and_build_take_the_limit_on_the_command_line(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "long.txt").write_text("标题\n2021-03-01\n" + SENTENCE * 10, encoding="utf-8")
    (corpus / "short.txt").write_text("标题\n2021-03-01\n" + SENTENCE, encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "x.jsonl"
    result = runner.invoke(cli, ["extract", str(corpus), "-o", str(out),
                                 "--max-article-chars", "100"])
    assert result.exit_code == 1, result.output
    assert f"skipped {corpus / 'long.txt'}: article too long (242 characters" in result.stderr
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == [
        "short"]
    result = runner.invoke(cli, ["build", str(corpus), "-o", str(tmp_path / "out"), "-j", "1",
                                 "--no-page", "--no-exports", "--max-article-chars", "100"])
    assert result.exit_code == 1, result.output
    assert f"skipped {corpus / 'long.txt'}: article too long" in result.stderr
    assert "1 articles built" in result.stderr
    result = runner.invoke(cli, ["extract", str(corpus), "-o", str(out)])  # the default: both
    assert result.exit_code == 0 and len(out.read_text(encoding="utf-8").splitlines()) == 2


# -- decompression bombs ------------------------------------------------------------------------


def _bomb(path: Path, piece: bytes, gib: float = 1.0) -> None:
    """A .gz file of about 1 MB that expands to `gib` GiB: one gzip member of 1 MiB of `piece`
    repeated, written member after member (gzip readers read them as one stream)."""
    member = gzip.compress((piece * (MIB // len(piece) + 1))[:MIB], compresslevel=9)
    with open(path, "wb") as f:
        for _ in range(int(gib * 1024)):
            f.write(member)


def test_a_decompression_bomb_is_skipped_named_and_good_files_read(tmp_path: Path) -> None:
    for i in range(4):
        (tmp_path / f"good{i}.txt").write_text(f"标题{i}\n2021-03-01\n{SENTENCE}", encoding="utf-8")
    _bomb(tmp_path / "bomb_txt.txt.gz", b"\0")
    _bomb(tmp_path / "bomb_line.jsonl.gz", b"a")  # one line of 1 GiB
    with gzip.open(tmp_path / "bomb_lines.jsonl.gz", "wb") as f:  # valid lines, highly repeated
        f.write(b'{"text": "ok"}\n')
    line = json.dumps({"text": SENTENCE * 30}, ensure_ascii=False).encode() + b"\n"
    with open(tmp_path / "bomb_lines.jsonl.gz", "ab") as f:
        f.write(gzip.compress(line * (64 * MIB // len(line)), compresslevel=9))
    assert sum(p.stat().st_size for p in tmp_path.glob("bomb*")) < 3 * MIB

    docs, errors = read(tmp_path)

    assert sorted(d.id for d in docs if d.id.startswith("good")) == [f"good{i}" for i in range(4)]
    by_name = {Path(e.path).name: e for e in errors}
    assert sorted(by_name) == ["bomb_line.jsonl.gz", "bomb_lines.jsonl.gz", "bomb_txt.txt.gz"]
    assert by_name["bomb_line.jsonl.gz"].line == 1
    assert "decompresses to more than 100 times its size" in by_name["bomb_line.jsonl.gz"].reason
    assert by_name["bomb_lines.jsonl.gz"].line is not None
    assert "decompression bomb" in by_name["bomb_lines.jsonl.gz"].reason
    # the articles read before the expansion was found are kept, each once
    kept = [d for d in docs if d.source.startswith(str(tmp_path / "bomb_lines"))]
    assert kept and kept[0].text == "ok" and len(kept) < by_name["bomb_lines.jsonl.gz"].line
    # a .txt is one article: past the bytes the article limit allows, it is not read on
    assert by_name["bomb_txt.txt.gz"].reason.startswith("too large (over ")


def test_an_ordinary_gzipped_corpus_is_read_whole(tmp_path: Path) -> None:
    # news compresses 3 to 10 times; these near-identical lines some 13 times, far from a bomb
    lines = [json.dumps({"id": f"n{i}", "text": f"{i}号文件：{SENTENCE}{i * 7919 % 100003}"},
                        ensure_ascii=False) for i in range(180_000)]
    with gzip.open(tmp_path / "corpus.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(lines))
    expanded = sum(len(line.encode()) + 1 for line in lines)
    assert expanded > 16 * MIB  # past the floor below which the ratio is not looked at
    docs, errors = read(tmp_path)
    assert errors == [] and len(docs) == len(lines)


# -- encodings ----------------------------------------------------------------------------------

BIG5_BODIES = ["市政府召開會議，討論交通建設計劃。", "衛生福利部宣布擴大疫苗接種對象。",
               "農委會補助農民購買新型農業機械。", "行政院今日通過預算案，將提高教育經費。",
               "經濟部表示，今年出口可望持續成長。"]


def test_short_big5_articles_read_as_big5(tmp_path: Path) -> None:
    texts = {}
    for i, title in enumerate(["地方新聞", "要聞", "財經"]):
        for j, body in enumerate(BIG5_BODIES):
            text = f"{title}\n2021-03-01 10:00\n{body}\n"
            data = text.encode("big5")
            assert 40 <= len(data) <= 89
            (tmp_path / f"b{i}{j}.txt").write_bytes(data)
            texts[f"b{i}{j}"] = (title, body + "\n")
    docs, errors = read(tmp_path)
    assert errors == []
    assert {d.id: (d.title, d.text) for d in docs} == texts


def test_invalid_utf8_in_a_txt_is_named_with_its_byte_offset_and_line(tmp_path: Path) -> None:
    head = ("标题\n2021-03-01\n" + SENTENCE + "\n" + SENTENCE + "\n").encode()
    tail = (SENTENCE + "\n") * 20
    (tmp_path / "a.txt").write_bytes(head + b"\xff" + tail.encode())
    (tmp_path / "b.txt").write_bytes(b"\xef\xbb\xbf" + head + b"\xc3(" + tail.encode())
    docs, errors = read(tmp_path)
    assert docs == []
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'a.txt'}: invalid UTF-8 at byte {len(head)} (line 5) of a UTF-8 file",
        f"{tmp_path / 'b.txt'}: starts with a UTF-8 byte order mark but has invalid UTF-8 at "
        f"byte {3 + len(head)} (line 5)",
    ]


def test_invalid_utf8_in_a_long_json_line_is_named_with_its_byte_offset(tmp_path: Path) -> None:
    first = b'{"id": "a", "text": "ok"}\n'
    line = json.dumps({"id": "b", "text": SENTENCE * 100_000}, ensure_ascii=False).encode()
    cut = line.index(SENTENCE.encode()) + len(SENTENCE.encode()) * 50_000  # past 1 MiB
    path = tmp_path / "c.jsonl"
    path.write_bytes(first + line[:cut] + b"\x80" + line[cut:] + b'\n{"id": "c", "text": "ok"}')
    docs, errors = read(path)
    assert [d.id for d in docs] == ["a", "c"]
    assert [str(e) for e in errors] == [
        f"{path}:2: not UTF-8 (JSON Lines must be UTF-8): invalid UTF-8 at byte "
        f"{len(first) + cut} of the file"]


# -- RDF files given to view and stats ----------------------------------------------------------


@pytest.fixture()
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on loopback that records whatever connects to it (it must get nothing)."""
    received: list[bytes] = []
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    received.append(conn.recv(4096) or b"(connected)")
                except OSError:
                    received.append(b"(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


@pytest.mark.parametrize("command", ["view", "stats"])
@pytest.mark.parametrize("where", ["top", "import", "scoped"])
def test_a_json_ld_file_never_fetches_its_context(
    tmp_path: Path, listener: tuple[int, list[bytes]], command: str, where: str
) -> None:
    port, received = listener
    url = f"http://127.0.0.1:{port}/context.jsonld"
    node = {"@id": "https://example.org/a", "https://example.org/p": "x"}
    doc: dict[str, object] = {
        "top": {"@context": url, **node},
        "import": {"@context": {"@version": 1.1, "@import": url}, **node},
        "scoped": {"@context": {"p": {"@id": "https://example.org/p", "@context": [url]}},
                   "@graph": [{"@id": "https://example.org/a", "p": {"@id": "https://example.org/b"}}]},
    }[where]
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    args = [command, "--rdf", str(path)] + (["-o", str(tmp_path / "p.html")]
                                            if command == "view" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert f"{path}: the JSON-LD context {url!r} is referenced, not inline" in result.output
    assert received == []


def test_an_rdf_xml_file_never_fetches_an_external_entity(
    tmp_path: Path, listener: tuple[int, list[bytes]]
) -> None:
    port, received = listener
    path = tmp_path / "entity.rdf"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM '
        f'"http://127.0.0.1:{port}/x">]>\n<rdf:RDF xmlns:rdf='
        '"http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="https://example.org/">'
        '<rdf:Description rdf:about="https://example.org/a"><ex:p>&x;</ex:p>'
        "</rdf:Description></rdf:RDF>\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["stats", "--rdf", str(path)])
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
    assert received == []
