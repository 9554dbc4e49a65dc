from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from zhkg.cli import cli
from zhkg.nlp import gazetteer


def test_places_lists_every_match_with_the_place_meant() -> None:
    text = "辽宁省大连市中山区与长春市朝阳区、吉林"
    result = CliRunner().invoke(cli, ["places", text])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines()]
    found = gazetteer.find_places(text)
    assert [(int(r[0]), int(r[1]), r[2], r[3]) for r in rows] == [
        (m.start, m.end, m.text, m.kind) for m in found]
    # the Changchun 朝阳区, chosen by the city named just before it
    assert rows[4][4] == "220104 朝阳区"
    assert gazetteer.division("220104") is not None


def test_places_reads_a_file_and_reports_ambiguity(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("朝阳区", encoding="utf-8")
    result = CliRunner().invoke(cli, ["places", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.split("\t")[4].strip() == "ambiguous: 110105 220104"


def test_places_without_text_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["places"])
    assert result.exit_code == 2
    assert "give TEXT or --file" in result.output
