"""The pandera schema of a table kind (``pandera_schema``): type, range, pattern and value-set checks
per column, county codes read from the processed registry when it exists.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any

from impact.errors import ImpactError
from impact.schemas.columns import YEAR_MAX, YEAR_MIN, Column, _num
from impact.schemas.specs import _year_of, spec


@lru_cache(maxsize=1)
def _default_county_codes() -> frozenset[str] | None:
    try:
        from impact.geo import county_table  # noqa: PLC0415

        return frozenset(county_table()["county_code"].astype(str))
    except (ImportError, ImpactError, OSError):
        return None


_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"


_PERIOD_RE = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"


_COUNTY_RE = r"^53\d{4}$"


_PREF_RE = r"^53\d{2}00$"


def _checks(col: Column, counties: Collection[str] | None) -> list[Any]:
    import pandera.pandas as pa  # noqa: PLC0415

    checks: list[Any] = []
    vals = col.allowed_values()
    if vals is not None:
        checks.append(pa.Check.isin(list(vals), error=col.allowed_text_or_list()))
    if col.type == "year":
        checks.append(pa.Check.in_range(YEAR_MIN, YEAR_MAX, error=f"a year {YEAR_MIN}–{YEAR_MAX}"))
    if col.type == "flag":
        checks.append(pa.Check.isin([0, 1], error="0 or 1"))
    if col.type == "month":
        checks.append(pa.Check.str_matches(_MONTH_RE, error="a month written YYYY-MM (e.g. 2024-03)"))
    if col.type == "period":
        checks.append(pa.Check.str_matches(_PERIOD_RE, error="a date written YYYY, YYYY-MM or YYYY-MM-DD"))
    if col.type in ("month", "period"):
        checks.append(pa.Check(lambda s: _year_of(s).between(YEAR_MIN, YEAR_MAX) | _year_of(s).isna(),
                               error=f"a year {YEAR_MIN}–{YEAR_MAX}"))
    if col.type == "county_code":
        if counties is not None:
            codes = sorted(counties)
            checks.append(pa.Check.isin(codes, error="the 6-digit code of a Yunnan county (see data/raw/geo/counties.csv)"))
        else:
            checks.append(pa.Check.str_matches(_COUNTY_RE, error="a 6-digit Yunnan county code 53xxxx"))
    if col.name == "prefecture_code":
        checks.append(pa.Check.str_matches(_PREF_RE, error="a 6-digit prefecture code 53xx00"))
    if col.gt is not None:
        checks.append(pa.Check.gt(col.gt, error=f"a number > {_num(col.gt)}"))
    if col.ge is not None and col.le is not None:
        checks.append(pa.Check.in_range(col.ge, col.le, error=f"a number {_num(col.ge)}–{_num(col.le)}"))
    elif col.ge is not None:
        checks.append(pa.Check.ge(col.ge, error=f"a number >= {_num(col.ge)}"
                                  + (" (money cannot be negative)" if "yuan" in col.unit else "")))
    elif col.le is not None:
        checks.append(pa.Check.le(col.le, error=f"a number <= {_num(col.le)}"))
    return checks


def pandera_schema(kind: str, *, counties: Collection[str] | None = None) -> Any:
    """The pandera ``DataFrameSchema`` of ``kind`` (value checks on coerced columns;
    types are enforced by :func:`validate`'s coercion step, key uniqueness by
    ``unique=``). ``counties``: valid county codes (None: format check only)."""
    import pandera.pandas as pa  # noqa: PLC0415

    cols = {
        c.name: pa.Column(checks=_checks(c, counties), nullable=not c.required, required=True,
                          description=c.meaning, title=c.name)
        for c in spec(kind).columns
    }
    return pa.DataFrameSchema(cols, strict=False, name=kind, unique=list(spec(kind).key), report_duplicates="all")
