"""zhkg.cli at its edge: what it reads, what it says about files, and outputs it cannot write."""

from __future__ import annotations

import builtins
import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from zhkg.cli import cli
from zhkg.graph.store import Store

ARTICLE = "杭州市出台新规\n2024-01-02\n浙江省杭州市人民政府发布《数字经济促进方案》。\n"


def _folder(path: Path, names: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in names.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_extract_never_reads_its_own_output(tmp_path: Path) -> None:
    src = _folder(tmp_path / "in", {"a.txt": ARTICLE})
    out = src / "x.jsonl"  # in the folder it reads
    for _ in range(2):  # the second run finds the first one's output there
        result = CliRunner().invoke(cli, ["extract", str(src), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert [json.loads(line)["id"] for line in out.read_text("utf-8").splitlines()] == ["a"]
    # Named on the command line, it is reported, not read.
    result = CliRunner().invoke(cli, ["extract", str(src / "a.txt"), str(out), "-o", str(out)])
    assert result.exit_code == 1
    assert f"skipped {out}: not read: it is this run's output" in result.output
    assert [json.loads(line)["id"] for line in out.read_text("utf-8").splitlines()] == ["a"]


def test_file_names_cannot_forge_lines_on_stderr(tmp_path: Path) -> None:
    forged = "x\nerror: everything is fine.txt"
    src = _folder(tmp_path / "in", {"a.txt": ARTICLE, forged: "", "y\r\x1b[2K.txt": ""})
    out = tmp_path / "out\nzhkg: done"
    result = CliRunner().invoke(cli, ["build", str(src), "-o", str(out), "-j", "1", "--no-page"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert not any(line.startswith(("error: everything", "zhkg: done")) for line in lines)
    assert f"skipped {src}/x\\nerror: everything is fine.txt: empty file" in lines
    assert f"skipped {src}/y\\r\\x1b[2K.txt: empty file" in lines
    assert lines[-1].endswith(f"-> {tmp_path}/out\\nzhkg: done")
    assert "\x1b" not in result.output and "\r" not in result.output


def test_an_unreadable_file_named_on_the_command_line_is_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _folder(tmp_path / "in", {"good.txt": ARTICLE, "secret.txt": ARTICLE})
    secret = src / "secret.txt"
    secret.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the file unreadable as it is to others
        real_access, real_open = os.access, builtins.open

        def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
            if isinstance(path, (str, os.PathLike)) and Path(path) == secret:
                return False
            return real_access(path, mode, *args, **kwargs)

        def opener(file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, (str, os.PathLike)) and Path(file) == secret:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
        monkeypatch.setattr(builtins, "open", opener)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(secret), str(src / "good.txt"), "-o", str(out),
                                      "-j", "1", "--no-page"])
    assert result.exit_code == 1, result.output  # some inputs skipped, not a usage error (2)
    assert f"skipped {secret}: cannot read: Permission denied" in result.output
    with Store.open(out / "store", read_only=True) as store:
        assert store.article_ids() == ["good"]


@pytest.mark.parametrize("command", ["build", "extract"])
def test_an_output_under_a_file_is_named_with_the_reason(tmp_path: Path, command: str) -> None:
    src = _folder(tmp_path / "in", {"a.txt": ARTICLE})
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    out = blocker / ("out" if command == "build" else "x.jsonl")
    args = [command, str(src), "-o", str(out)] + (["-j", "1"] if command == "build" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert f"cannot write {out}: " in result.output
    assert "Not a directory" in result.output or "is not a folder" in result.output
    assert "Error" not in result.output.replace("Error: cannot", "")  # no exception class names


@pytest.mark.parametrize("command", ["build", "extract"])
def test_a_full_disk_is_named_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              command: str) -> None:
    src = _folder(tmp_path / "in", {"a.txt": ARTICLE})
    out = tmp_path / ("out" if command == "build" else "x.jsonl")

    def full(fd: int) -> None:  # every output is fsynced before it replaces the old one
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    args = [command, str(src), "-o", str(out)] + (["-j", "1"] if command == "build" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert f"cannot write {out}: No space left on device" in result.output
    assert "OSError" not in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_named_with_the_reason(tmp_path: Path) -> None:
    src = _folder(tmp_path / "in", {"a.txt": ARTICLE})
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = CliRunner().invoke(cli, ["extract", str(src), "-o", str(locked / "x.jsonl")])
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 1
    assert f"cannot write {locked / 'x.jsonl'}: Permission denied" in result.output


def test_evaluate_scores_what_extract_wrote_against_a_gold_file(tmp_path: Path) -> None:
    from zhkg.extract.evaluate import format_report, load_gold, score_documents

    src = _folder(tmp_path / "in", {"a.txt": ARTICLE})
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"documents": [{"id": "a", "entities": [
        {"name": "杭州", "type": "City", "forms": ["杭州市"]},
        {"name": "市府", "type": "GovernmentBody", "forms": ["杭州市人民政府"]},
        {"name": "方案", "type": "Policy", "forms": ["数字经济促进方案"]}],
        "relations": [{"subject": "市府", "predicate": "issues", "object": "方案"}]}]},
        ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "a.jsonl"
    assert CliRunner().invoke(cli, ["extract", str(src), "-o", str(out)]).exit_code == 0
    result = CliRunner().invoke(cli, ["evaluate", str(gold), str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert result.output == format_report(score_documents(load_gold(gold), records)) + "\n"
    assert "relations (all)" in result.output
    (tmp_path / "bad.jsonl").write_text("{not json\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", str(gold), str(tmp_path / "bad.jsonl")])
    assert result.exit_code == 1 and "bad.jsonl:1: not a JSON line" in result.output


def test_train_is_a_subcommand_with_the_trainers_own_options(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--help"])
    assert result.exit_code == 0
    assert "usage: zhkg train" in result.output and "--tune" in result.output
    result = CliRunner().invoke(cli, ["train", "--data", str(tmp_path / "none"), "--out",
                                      str(tmp_path / "m.crfsuite")])
    assert result.exit_code == 1 and "none" in result.output and "Traceback" not in result.output
