"""Each vocabulary is defined once (impact.vocab) and read by schemas, i18n, units and option checks."""

from __future__ import annotations

from typing import Literal

import pytest

from impact import i18n, schemas, units, vocab
from impact.errors import ImpactError, OptionError
from impact.results import check_option


def test_tuples_are_read_from_their_literals():
    assert vocab.LANGS == ("zh", "en") == vocab.values(vocab.Lang)
    for tup, lit in [(vocab.SECTORS, vocab.Sector), (vocab.LEVELS, vocab.Level), (vocab.ORG_KINDS, vocab.OrgKind),
                     (vocab.BASE_UNITS, vocab.BaseUnit), (vocab.QUALIFIERS, vocab.Qualifier)]:
        assert tup == vocab.values(lit) and len(set(tup)) == len(tup)
    assert set(vocab.INDICATOR_SECTORS) <= set(vocab.SECTORS)


def test_schemas_units_and_i18n_use_the_same_vocabularies():
    assert schemas.SECTORS is vocab.SECTORS and schemas.LEVELS is vocab.LEVELS
    assert schemas.ORG_KINDS is vocab.ORG_KINDS and schemas.QUALIFIERS is vocab.QUALIFIERS
    assert schemas.base_units() is vocab.BASE_UNITS is units.BASE_UNITS
    assert units.QUALIFIERS is vocab.QUALIFIERS
    assert i18n.LANGS is vocab.LANGS
    # every value has a display name in both languages
    assert set(i18n.SECTORS) == set(vocab.SECTORS)
    assert set(i18n.LEVELS) == set(vocab.LEVELS)
    assert set(i18n.KINDS) == set(vocab.ORG_KINDS)


def test_check_option_reads_a_literal_and_raises_an_impact_error():
    Colour = Literal["red", "green"]
    assert check_option("colour", "red", Colour) == "red"
    with pytest.raises(OptionError, match=r"colour='blue' is not valid; expected one of 'red', 'green'") as err:
        check_option("colour", "blue", Colour)
    assert isinstance(err.value, ImpactError) and isinstance(err.value, ValueError)
    with pytest.raises(OptionError, match="expected one of 'zh', 'en'"):
        check_option("lang", "fr", vocab.Lang)
