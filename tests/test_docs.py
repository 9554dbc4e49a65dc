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


def test_the_worked_rule_of_the_readme_runs_where_it_would_be_listed() -> None:
    import re
    from types import SimpleNamespace

    from zhkg.extract.candidates import PATTERN, Candidate, Found
    from zhkg.extract.context import DocContext
    from zhkg.extract.mentions import mentions_in
    from zhkg.extract.rules import MENTION_RULES, policies
    from zhkg.model import Document, Method

    section = README.split("### How to add a rule", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    # the new Method member the README asks for stands in as an existing one
    names = {"re": re, "Candidate": Candidate, "DocContext": DocContext, "Found": Found,
             "PATTERN": PATTERN, "Method": SimpleNamespace(QUOTED_PROGRAMME=Method.SLOGAN)}
    exec(code, names)
    rule = names["quoted_programmes"]
    ctx = DocContext.of(Document("t", "该市提出“数字强市”战略，推进产业升级。"))
    after_slogans = MENTION_RULES.index(policies.slogans) + 1
    rules = (*MENTION_RULES[:after_slogans], rule, *MENTION_RULES[after_slogans:])
    assert ("数字强市", "Policy") in {(m.text, m.type) for m in mentions_in(ctx, rules=rules)}
    assert "数字强市" not in {m.text for m in mentions_in(ctx)}
