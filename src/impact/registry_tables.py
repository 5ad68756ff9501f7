"""The sourced registry tables (``data/raw/registry/*.csv``): their columns and keys, ``read``
with typed columns, county codes filled from names, and the checks of every row against the
article (``problems``, ``check``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from impact import config
from impact.errors import AmbiguousCountyError, InputError, Problem, UnknownCountyError
from impact.results import check_option
from impact.units import COUNT_UNITS, parse_quantity

#: Columns of each table, in order (the contract in docs/architecture.md).
COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("org_id", "name", "level", "kind", "based_in", "quote"),
    "pairings": ("pairing_id", "org_id", "county", "county_code", "year", "date", "event", "quote"),
    "programs": (
        "program_id", "org_id", "name", "sector", "period_start", "period_end", "delivered", "delivered_en", "quote",
    ),
    "program_sites": ("program_id", "county", "county_code", "town", "village", "quote"),
    "facts": (
        "fact_id", "measure", "value", "base_unit", "value_as_written", "unit_as_written",
        "qualifier", "scope", "program_id", "org_id", "county_code", "place", "period_start",
        "period_end", "quote",
    ),
}  # fmt: skip


#: Primary key of each table (``program_sites`` is keyed by the whole site).
KEYS: dict[str, tuple[str, ...]] = {
    "organizations": ("org_id",),
    "pairings": ("pairing_id",),
    "programs": ("program_id",),
    "program_sites": ("program_id", "county_code", "town", "village"),
    "facts": ("fact_id",),
}


#: Foreign keys: (table, column) -> (referenced table, referenced column).
FOREIGN_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("pairings", "org_id"): ("organizations", "org_id"),
    ("programs", "org_id"): ("organizations", "org_id"),
    ("program_sites", "program_id"): ("programs", "program_id"),
    ("facts", "program_id"): ("programs", "program_id"),
    ("facts", "org_id"): ("organizations", "org_id"),
}


_INT_COLUMNS = {"year"}


_FLOAT_COLUMNS = {"value"}


_DATE_COLUMNS = {"date", "period_start", "period_end"}


_ISO_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


def tables() -> list[str]:
    """Names of the registry tables, in dependency order."""
    return list(COLUMNS)


def _path(name: str, registry_dir: str | Path | None) -> Path:
    check_option("name", name, tuple(COLUMNS))
    return Path(registry_dir if registry_dir is not None else config.REGISTRY_DIR) / f"{name}.csv"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(config.ROOT))
    except ValueError:
        return str(path)


def read(name: str, registry_dir: str | Path | None = None) -> pd.DataFrame:
    """Read one registry table with typed columns.

    Parameters
    ----------
    name
        One of :func:`tables`: ``organizations``, ``pairings``, ``programs``,
        ``program_sites``, ``facts``.
    registry_dir
        Folder of the CSV files; default ``config.REGISTRY_DIR`` (``data/raw/registry``).

    Returns
    -------
    DataFrame with the contract's columns in order (extra columns follow): text and
    codes as pandas ``string`` (``county_code`` ``"530824"``, never a number), empty
    cells as ``<NA>``, ``year`` as ``Int64``, ``value`` as ``float64`` (base units:
    yuan, person, percent, ...), dates as ISO ``YYYY-MM-DD`` strings.

    Raises
    ------
    InputError
        the file is missing, not UTF-8, lacks a column, or holds a non-number where a
        number belongs (file, row, column and value are named).
    """
    path = _path(name, registry_dir)
    file = _display(path)
    if not path.is_file():
        raise InputError(Problem(file, None, None, None, f"the registry table {name}.csv"))
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(Problem(file, None, None, None, f"UTF-8 text ({err.reason})")) from None
    missing = [c for c in COLUMNS[name] if c not in raw.columns]
    if missing:
        raise InputError(
            [Problem(file, 1, c, None, f"a column named {c!r} in the header") for c in missing],
            title=f"{file}: missing columns",
        )
    df = raw[list(COLUMNS[name]) + [c for c in raw.columns if c not in COLUMNS[name]]].copy()
    bad: list[Problem] = []
    for col in df.columns:
        text = df[col].astype("string").str.strip()
        text = text.mask(text == "")
        if col in _INT_COLUMNS or col in _FLOAT_COLUMNS:
            num = pd.to_numeric(text, errors="coerce")
            for i in text.index[text.notna() & num.isna()]:
                bad.append(Problem(file, int(i) + 2, col, text[i], "a number"))
            if col in _INT_COLUMNS:
                frac = num.notna() & (num % 1 != 0)
                for i in num.index[frac]:
                    bad.append(Problem(file, int(i) + 2, col, text[i], "a whole number"))
                df[col] = num.where(~frac).astype("Int64")
            else:
                df[col] = num.astype("float64")
        else:
            df[col] = text
    if bad:
        raise InputError(bad, title=f"{file}: bad values")
    return df.reset_index(drop=True)


def joined_article(article: str | Path | None = None) -> str:
    """The article text with its line breaks removed (quotes are substrings of it)."""
    path = Path(article if article is not None else config.ARTICLE)
    return path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", "")


def _resolve(value: str) -> tuple[str | None, str | None]:
    """(code, error message) of a county name or code via :func:`impact.geo.resolve_county`."""
    from impact.geo import resolve_county

    try:
        return resolve_county(value).code, None
    except (UnknownCountyError, AmbiguousCountyError) as err:
        return None, str(err)


def fill_county_codes(df: pd.DataFrame, *, file: str = "<table>") -> pd.DataFrame:
    """Return a copy of ``df`` with empty ``county_code`` cells filled from ``county``.

    For researchers adding their own rows: write the county as the source writes it
    (``景谷``, ``景谷县``, ``普洱市景谷县``) and let the resolver supply the code.
    Raises :class:`InputError` naming the row and value of every county that does
    not resolve (unknown or ambiguous).
    """
    out = df.copy()
    out["county_code"] = out["county_code"].astype("string")
    bad: list[Problem] = []
    for i, county in out["county"].items():
        if pd.isna(county) or not pd.isna(out.at[i, "county_code"]):
            continue
        code, err = _resolve(str(county))
        if code is None:
            bad.append(Problem(file, int(i) + 2, "county", county, f"a Yunnan county ({err})"))
        else:
            out.at[i, "county_code"] = code
    if bad:
        raise InputError(bad, title=f"{file}: unresolved counties")
    return out


def _check_table(
    name: str, df: pd.DataFrame, file: str, article: str, key_sets: dict[tuple[str, str], set[str]]
) -> Iterable[Problem]:
    for i, row in df.iterrows():
        r = int(i) + 2  # spreadsheet row: header is row 1
        quote = row["quote"]
        if pd.isna(quote):
            yield Problem(file, r, "quote", None, "a verbatim quote from the article")
        elif quote not in article:
            yield Problem(file, r, "quote", quote, "text found verbatim in the article (line breaks removed)")
        if "county" in df.columns and not pd.isna(row["county"]):
            code, err = _resolve(str(row["county"]))
            if code is None:
                yield Problem(file, r, "county", row["county"], f"a Yunnan county ({err})")
            elif pd.isna(row["county_code"]):
                yield Problem(file, r, "county_code", None, f"{code} (the code of {row['county']})")
            elif row["county_code"] != code:
                yield Problem(
                    file, r, "county_code", row["county_code"], f"{code}, the code of {row['county']}"
                )
        elif "county_code" in df.columns and not pd.isna(row["county_code"]):
            code, err = _resolve(str(row["county_code"]))
            if code is None:
                yield Problem(file, r, "county_code", row["county_code"], f"a Yunnan county code ({err})")
            elif "county" in df.columns:  # a code without the county as written
                yield Problem(file, r, "county", None, f"the county as written for code {code}")
        for col in _DATE_COLUMNS & set(df.columns):
            v = row[col]
            if not pd.isna(v) and (not _ISO_DATE.match(str(v)) or pd.isna(pd.to_datetime(v, errors="coerce"))):
                yield Problem(file, r, col, v, "an ISO date YYYY-MM-DD (or YYYY-MM, YYYY)")
        for (table, col), (ref, ref_col) in FOREIGN_KEYS.items():
            if table == name and not pd.isna(row[col]) and row[col] not in key_sets[(ref, ref_col)]:
                yield Problem(file, r, col, row[col], f"an existing {ref_col} of {ref}.csv")
        if name == "facts":
            yield from _check_fact(row, file, r)
    key = list(KEYS[name])
    dup = df.duplicated(subset=key, keep="first")
    for i in df.index[dup]:
        shown = "/".join("" if pd.isna(df.at[i, k]) else str(df.at[i, k]) for k in key)
        yield Problem(file, int(i) + 2, "/".join(key), shown, "a unique key (it repeats an earlier row)")


def _check_fact(row: pd.Series, file: str, r: int) -> Iterable[Problem]:
    """The value must be what value_as_written + unit_as_written parse to; both appear in the quote."""
    written, unit = row["value_as_written"], row["unit_as_written"]
    if pd.isna(written) or pd.isna(unit):
        yield Problem(file, r, "value_as_written", written, "the figure and its unit as written")
        return
    base = row["base_unit"]
    count_of = base if base in COUNT_UNITS else None
    try:
        qty = parse_quantity(f"{written}{unit}", count_of=count_of, file=file, row=r, column="unit_as_written")
    except InputError as err:
        yield from err.problems
        return
    if qty.base_unit != base:
        yield Problem(file, r, "base_unit", base, f"{qty.base_unit} (the base unit of {unit})")
    if pd.isna(row["value"]) or abs(float(row["value"]) - qty.value) > 1e-9 * max(1.0, abs(qty.value)):
        yield Problem(file, r, "value", row["value"], f"{_plain(qty.value)} ({written}{unit} in {qty.base_unit})")
    quote = row["quote"]
    if not pd.isna(quote) and written not in quote:
        yield Problem(file, r, "value_as_written", written, "a figure that appears in the quote")


def _plain(x: float) -> str:
    """A number without exponent or trailing zeros: 231000000, 0.05."""
    return f"{x:.6f}".rstrip("0").rstrip(".")


def problems(
    registry_dir: str | Path | None = None, article: str | Path | None = None
) -> list[Problem]:
    """Every problem of the registry tables (an empty list when all is well).

    Checks: each quote is verbatim in the joined article; each ``county`` resolves
    (:func:`impact.geo.resolve_county`) to the row's ``county_code``, and each
    ``county_code`` of ``facts`` is a Yunnan county; keys are unique; ``org_id`` and
    ``program_id`` references exist; dates are ISO; each fact's ``value`` equals its
    ``value_as_written`` + ``unit_as_written`` in base units and the figure appears
    in its quote. Tables that cannot be read contribute their reading problems.
    """
    text = joined_article(article)
    frames: dict[str, pd.DataFrame] = {}
    found: list[Problem] = []
    for name in tables():
        try:
            frames[name] = read(name, registry_dir)
        except InputError as err:
            found += err.problems
    key_sets = {
        (ref, col): set(frames[ref][col].dropna()) if ref in frames else set()
        for ref, col in FOREIGN_KEYS.values()
    }
    for name, df in frames.items():
        file = _display(_path(name, registry_dir))
        found += list(_check_table(name, df, file, text, key_sets))
    return found


def check(registry_dir: str | Path | None = None, article: str | Path | None = None) -> None:
    """Raise :class:`InputError` listing every problem found by :func:`problems`."""
    found = problems(registry_dir, article)
    if found:
        raise InputError(found, title="the program registry does not check out")
