"""The README documents every command (sqlite-utils' test_docs idea)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhkg.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"zhkg {command}" in README


def test_readme_gives_the_two_setup_commands() -> None:
    assert "zhkg build seeds -o output" in README
    assert "bash tests/run.sh" in README
