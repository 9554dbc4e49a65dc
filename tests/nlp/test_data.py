"""zhkg.nlp.data: the packaged data files, read and checked."""

from __future__ import annotations

import pytest

from zhkg.errors import ModelError
from zhkg.nlp.data import data_lines, entity_type, split_list, tsv


def test_missing_data_file_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="no_such_file"):
        data_lines("no_such_file.tsv")


def test_rows_are_checked_and_types_must_be_the_ontologys() -> None:
    rows = tsv("central_bodies.tsv")
    assert rows and {"name", "type", "abbreviations"} <= set(rows[0])
    assert entity_type("GovernmentBody", "x.tsv") == "GovernmentBody"
    with pytest.raises(ModelError, match="unknown entity type 'Goverment'"):
        entity_type("Goverment", "x.tsv")  # a typo in a data file fails loudly
    assert split_list("a||b|") == ("a", "b")
