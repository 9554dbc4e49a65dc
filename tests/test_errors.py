"""zhkg.errors: messages that name files stay one line, whatever the names hold."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from zhkg.errors import ArticleError, InputError, output_error, shown


@pytest.mark.parametrize(("name", "expected"), [
    ("新闻/第1篇.txt", "新闻/第1篇.txt"),
    ("a\nb", "a\\nb"),
    ("a\r\x1b[2Kb", "a\\r\\x1b[2Kb"),
    ("a\u2028b\x85c", "a\\u2028b\\x85c"),
    ("evil\u202etxt.exe", "evil\\u202etxt.exe"),  # right-to-left override reorders the rest
    (os.fsdecode(b"gbk-\xd0\xc2.txt"), "gbk-\\udcd0\\udcc2.txt"),  # undecodable bytes
])
def test_shown_escapes_what_would_break_or_forge_a_line(name: str, expected: str) -> None:
    assert shown(name) == expected
    assert shown(Path(name)) == expected


def test_errors_name_the_file_escaped_and_keep_it_raw() -> None:
    exc = InputError("x\ny.txt", "empty file", 3)
    assert str(exc) == "x\\ny.txt:3: empty file" and exc.path == "x\ny.txt"
    art = ArticleError("id\n1", "in.jsonl:2", "cannot extract: ValueError: bad")
    assert str(art) == "in.jsonl:2: article id\\n1: cannot extract: ValueError: bad"
    assert art.doc_id == "id\n1" and art.path == "in.jsonl:2"


def test_output_error_says_what_and_why(tmp_path: Path) -> None:
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert str(output_error(full, tmp_path / "out")) == (
        f"cannot write {tmp_path / 'out'}: No space left on device")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError) as raised:
        (blocker / "x").mkdir(parents=True, exist_ok=True)
    assert str(output_error(raised.value, blocker / "x" / "y.jsonl")) in (
        f"cannot write {blocker / 'x' / 'y.jsonl'}: Not a directory: {blocker / 'x'}",
        f"cannot write {blocker / 'x' / 'y.jsonl'}: {blocker} is not a folder")
