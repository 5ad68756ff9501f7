"""The program registry: sourced tables transcribed from the article.

Five CSV tables (UTF-8) live in ``data/raw/registry/`` (see ``docs/architecture.md``):

================= =============================================================
table             one row per
================= =============================================================
``organizations`` organization the article names (``org_id``)
``pairings``      organization–county pairing the article states (``pairing_id``)
``programs``      program or activity of an organization (``program_id``)
``program_sites`` place where a program runs: county, town, village
``facts``         figure the article states (``fact_id``), value in base units
================= =============================================================

Every row carries ``quote``: verbatim article text, joined across the article's
line breaks (the article with its newline characters removed contains the quote).
An empty cell means the article does not say. Dates are ISO strings. In the
transcribed tables a period the article gives as a month or a year is stored as
its first and last day (``2024年3月`` -> ``2024-03-01`` .. ``2024-03-31``;
``2022年至2024年`` -> ``2022-01-01`` .. ``2024-12-31``), an open-ended one
(``2024年以来``, ``2023年10月 ... 一年多来``) with an empty end; rows a user adds may
also give ``YYYY`` or ``YYYY-MM`` (the precision of their source).

Transcription notes (what the article does and does not say):

- ``level`` follows what the article states (爱佑: "民政部主管的全国性社会组织") or
  the registered name's prefix (云南省… provincial, 上海市… out of province, 中国…
  national, a county's name … county); empty otherwise (阿里巴巴, 爱德, 腾讯).
- Pairings are the article's explicit 结对帮扶 / 对口帮扶 / 定点帮扶 statements
  between a named organization and a named county. 云南省医院协会 is paired with "15
  个县市" of which the article names 8: the 8 are rows, the 15 is a fact. No named
  pairing is tied to a dated signing event, so ``year``, ``date``, ``event`` are
  empty; the 昭通 (2024-03) and 大理 (2024-05) signings are prefecture facts.
- The article counts 27 national key counties but does not list them: only the
  count is recorded.
- 德化镇荒田村 (a 茶叶流通协会 contact point) follows 勐海县 in the article's list,
  but 德化镇 is not a town of 勐海县; its county is left empty.
- The 阿里巴巴/澜沧 paragraph breaks across columns ("…电商渠" / "道、订单农业…"):
  quotes are contiguous text, so figures after the break quote the continuation.
- A range ("10至20个品种") is two facts: ``at_least`` 10 and ``up_to`` 20.
- 云南红河磷电有限责任公司 is an enterprise (``kind = enterprise``), the 执行会长企业 of
  云南省温州商会 (its quote runs from the chamber's paragraph); its 300万元 to
  屏边 is an enterprise's donation, so social-organisation totals leave it out
  (:func:`funds_total` with ``include="social_organizations"``).
- 4镇（乡） is stored with the unit ``镇(乡)`` (NFKC form; shown as 镇（乡）); 每个月至少一次 as
  ``一`` + ``次/月``.

Views for reports (pure functions of the tables): :func:`fact_coverage` labels each
fact as a county's own or shared (a whole project over N counties, an organisation,
a prefecture, the province); :func:`county_facts` splits a county's facts into its
own and shared ones; :func:`county_organizations` counts the organisations named as
working in each county (``<NA>`` when the article names none, which is not 0);
:func:`province_facts` lists the province and prefecture figures with quotes.

:func:`read` returns a table with typed columns (codes and text as ``string``,
``year`` as ``Int64``, ``value`` as ``float64`` in base units; dates stay ISO
strings). :func:`check` verifies the tables against the article and the county
list and raises :class:`~impact.errors.InputError` listing every problem with its
file, row, column and value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import pandas as pd

from impact import config
from impact.errors import AmbiguousCountyError, InputError, Problem, UnknownCountyError
from impact.results import check_option
from impact.units import COUNT_UNITS, parse_quantity

__all__ = [
    "FUND_PATTERN",
    "BENEFICIARY_PATTERN",
    "COVERAGES",
    "Coverage",
    "ORG_INCLUDE",
    "SOCIAL_ORGANIZATION_KINDS",
    "FundsTotal",
    "OrgInclude",
    "coverage_label",
    "county_facts",
    "county_organizations",
    "fact_coverage",
    "fact_org_kind",
    "fund_facts",
    "funds_total",
    "beneficiary_facts",
    "organization_count_text",
    "province_facts",
    "COLUMNS",
    "KEYS",
    "check",
    "fill_county_codes",
    "joined_article",
    "problems",
    "read",
    "tables",
]

#: Columns of each table, in order (the contract in docs/architecture.md).
COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("org_id", "name", "level", "kind", "based_in", "quote"),
    "pairings": ("pairing_id", "org_id", "county", "county_code", "year", "date", "event", "quote"),
    "programs": (
        "program_id", "org_id", "name", "sector", "period_start", "period_end", "delivered", "quote",
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


#: ``facts.measure`` names of money put into programs (funds, donations, in-kind gifts valued
#: in yuan). Other yuan facts are outcomes (output values, sales, income), prices, costs of care
#: and savings, and are never summed as funds.
FUND_PATTERN = r"fund|donat|invested|allocated|heaters_value|seed_value"
#: ``facts.measure`` names that count people reached (persons or person-times).
BENEFICIARY_PATTERN = r"benefi|served|receiving|home_visits"


#: Organisation kinds that are social organisations (社会组织); ``enterprise`` is not one.
SOCIAL_ORGANIZATION_KINDS: tuple[str, ...] = (
    "foundation", "trade_association", "chamber_of_commerce", "social_work_agency",
    "professional_association", "ngo", "other",
)  # fmt: skip
#: Which organisations a total includes: social organisations only, enterprises only, or all.
OrgInclude = Literal["social_organizations", "enterprises", "all"]
ORG_INCLUDE: tuple[str, ...] = get_args(OrgInclude)


def _tables(tables: Mapping[str, pd.DataFrame] | None, *names: str) -> list[pd.DataFrame]:
    """The named registry tables from ``tables`` or, when absent, read from ``data/raw/registry``."""
    given = dict(tables or {})
    return [given[n] if n in given else read(n) for n in names]


def fact_org_kind(
    facts: pd.DataFrame, *, programs: pd.DataFrame, organizations: pd.DataFrame
) -> pd.Series:
    """Kind of the organisation behind each fact (``<NA>`` when the fact names none).

    The organisation is the fact's ``org_id`` or, when empty, the ``org_id`` of its
    ``program_id``. Returned with ``facts``' index, as pandas ``string``.
    """
    prog_org = dict(zip(programs["program_id"], programs["org_id"]))
    kind = dict(zip(organizations["org_id"], organizations["kind"]))
    org = facts["org_id"].astype("string").copy()
    via_program = facts["program_id"].astype("string").map(prog_org)
    org = org.fillna(via_program.astype("string"))
    return org.map(lambda o: kind.get(o, pd.NA) if not pd.isna(o) else pd.NA).astype("string")


def _keep_kinds(facts: pd.DataFrame, include: str, programs: pd.DataFrame | None,
                organizations: pd.DataFrame | None) -> pd.DataFrame:
    check_option("include", include, ORG_INCLUDE)
    if include == "all" or facts.empty:
        return facts
    if programs is None or organizations is None:
        programs, organizations = _tables(None, "programs", "organizations")
    kind = fact_org_kind(facts, programs=programs, organizations=organizations)
    wanted = SOCIAL_ORGANIZATION_KINDS if include == "social_organizations" else ("enterprise",)
    return facts[kind.isin(wanted).fillna(False).to_numpy(dtype=bool)]


@dataclass(frozen=True)
class FundsTotal:
    """A sum of fund facts and what it includes.

    Attributes
    ----------
    value
        Sum of ``facts.value`` in yuan over ``fact_ids``.
    fact_ids
        The fund facts summed (sorted).
    include
        One of :data:`ORG_INCLUDE`: which organisations' money is in ``value``.
    excluded_value, excluded_fact_ids
        Fund facts left out by ``include`` (for example an enterprise's donation).
    """

    value: float
    fact_ids: tuple[str, ...]
    include: str
    excluded_value: float
    excluded_fact_ids: tuple[str, ...]

    def label(self, lang: str = "zh") -> str:
        """What the total includes, e.g. ``"社会组织资金（不含企业资金300万元）"``."""
        from impact.fmt import money

        what = {
            "social_organizations": ("社会组织资金", "funds of social organisations"),
            "enterprises": ("企业资金", "funds of enterprises"),
            "all": ("社会组织和企业资金", "funds of social organisations and enterprises"),
        }[self.include]
        if not self.excluded_fact_ids:
            return what[0] if lang == "zh" else what[1]
        other = "企业" if self.include == "social_organizations" else "社会组织"
        other_en = "enterprises" if self.include == "social_organizations" else "social organisations"
        amount = money(self.excluded_value, lang=lang)
        if lang == "zh":
            return f"{what[0]}（不含{other}资金{amount}）"
        return f"{what[1]} (excluding {amount} from {other_en})"


def fund_facts(
    facts: pd.DataFrame,
    *,
    include: OrgInclude = "all",
    programs: pd.DataFrame | None = None,
    organizations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Facts stating money put into programs: base unit yuan and a measure matching :data:`FUND_PATTERN`.

    ``include`` chooses whose money: ``"all"`` (default: social organisations and
    enterprises, and funds the article ties to no organisation, such as the 3000余万元
    of central and lottery funds), ``"social_organizations"`` (facts whose organisation,
    directly or through its program, is of a kind in :data:`SOCIAL_ORGANIZATION_KINDS`)
    or ``"enterprises"`` (``kind = enterprise``). ``programs`` and
    ``organizations`` are read from ``data/raw/registry`` when not given and needed.
    """
    if facts.empty:
        return facts
    m = (facts["base_unit"] == "yuan") & facts["measure"].astype(str).str.contains(FUND_PATTERN, regex=True)
    return _keep_kinds(facts[m.fillna(False)], include, programs, organizations)


def funds_total(
    facts: pd.DataFrame,
    *,
    include: OrgInclude,
    programs: pd.DataFrame | None = None,
    organizations: pd.DataFrame | None = None,
) -> FundsTotal:
    """Sum of :func:`fund_facts` with an explicit choice of whose money it includes.

    ``include`` has no default: a caller states whether an enterprise's donation (the
    300万元 of 云南红河磷电有限责任公司) belongs in the total. The result names the facts
    summed and those left out; ``FundsTotal.label(lang)`` says so in words.
    """
    everything = fund_facts(facts, include="all")
    kept = fund_facts(facts, include=include, programs=programs, organizations=organizations)
    left = everything.drop(index=kept.index)

    def ids(df: pd.DataFrame) -> tuple[str, ...]:
        return tuple(sorted(df["fact_id"].astype(str))) if "fact_id" in df.columns else ()

    return FundsTotal(
        value=float(pd.to_numeric(kept["value"]).sum()) if not kept.empty else 0.0,
        fact_ids=ids(kept),
        include=include,
        excluded_value=float(pd.to_numeric(left["value"]).sum()) if not left.empty else 0.0,
        excluded_fact_ids=ids(left),
    )


def beneficiary_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Facts counting people reached: persons or person-times, measure matching :data:`BENEFICIARY_PATTERN`."""
    if facts.empty:
        return facts
    m = facts["base_unit"].isin(["person", "person_time"]) & facts["measure"].astype(str).str.contains(
        BENEFICIARY_PATTERN, regex=True)
    return facts[m.fillna(False)]


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


# ------------------------------------------------------------------ views for reports

#: What a fact covers: one county, a whole project (N counties), an organisation as a
#: whole, a prefecture, the province.
Coverage = Literal["county", "project", "organization", "prefecture", "province"]
COVERAGES: tuple[str, ...] = get_args(Coverage)


def _named_counties(place: object) -> tuple[set[str], bool]:
    """County codes listed in a place such as ``"景谷、镇沅、西盟、孟连、墨江等县公立医疗机构"``.

    Returns (codes, open-ended): the list counts only when at least two parts resolve;
    ``等`` after the list makes it open-ended (at least that many).
    """
    if pd.isna(place) or "、" not in str(place):
        return set(), False
    text = str(place)
    head, etc, _ = text.partition("等")
    codes: set[str] = set()
    for part in head.split("、"):
        code, _err = _resolve(part.strip())
        if code is not None:
            codes.add(code)
    return (codes, bool(etc)) if len(codes) >= 2 else (set(), False)


def coverage_label(coverage: str, n_counties: object = None, *, at_least: bool = False,
                   place: object = None, lang: str = "zh") -> str:
    """Label of a fact's coverage: ``本县`` / ``全项目合计（涉及3县）`` / ``全省合计`` and English.

    ``n_counties`` (``None``/``<NA>`` when unknown) and ``at_least`` describe how many
    counties a project or prefecture fact covers; ``place`` names the prefecture.
    """
    check_option("coverage", coverage, COVERAGES)
    check_option("lang", lang, ("zh", "en"))
    n = None if n_counties is None or pd.isna(n_counties) else int(n_counties)  # type: ignore[arg-type]
    zh_n = "" if n is None else f"涉及{'至少' if at_least else ''}{n}县"
    en_n = "" if n is None else f"{'at least ' if at_least else ''}{n} {'county' if n == 1 else 'counties'}"
    if coverage == "county":
        return "本县" if lang == "zh" else "this county"
    if coverage == "project":
        if lang == "zh":
            return f"全项目合计（{zh_n}）" if zh_n else "全项目合计"
        return f"whole project ({en_n})" if en_n else "whole project"
    if coverage == "organization":
        return "组织整体数字" if lang == "zh" else "whole organisation"
    if coverage == "prefecture":
        where = "" if place is None or pd.isna(place) else str(place)
        if lang == "zh":
            return f"{where or '全州（市）'}合计" + (f"（{zh_n}）" if zh_n else "")
        return "prefecture-wide" + (f" ({en_n})" if en_n else "")
    return "全省合计" if lang == "zh" else "province-wide"


def fact_coverage(tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The facts with what each one covers, so no shared figure reads as a county's own.

    Rules, in order:

    * ``scope = province`` → ``province``; ``scope = prefecture`` → ``prefecture``, with
      ``n_counties`` from the prefecture's county-count fact of the same place and start.
    * a ``county_code`` → ``county``: the figure is that county's own.
    * a ``program_id`` (no county) → ``project``, with ``n_counties`` the largest of: a
      county count the article states for the program (``15个县市``, ``3县``), the
      program's distinct site counties, and the counties listed in ``place``
      (``景谷、镇沅、…等县``, open-ended: ``n_counties_at_least``).
    * an ``org_id`` only → ``organization`` (a figure about the organisation as a whole).

    Parameters
    ----------
    tables
        Registry tables by name (``facts``, ``program_sites``); read from
        ``data/raw/registry`` when absent.

    Returns
    -------
    DataFrame
        ``facts`` with ``coverage``, ``n_counties`` (Int64, ``<NA>`` unknown),
        ``n_counties_at_least`` (bool), ``covered_counties`` (sorted codes joined by
        ``,``, ``<NA>`` when none known), ``coverage_zh`` and ``coverage_en``.
    """
    facts, sites = _tables(tables, "facts", "program_sites")
    site_codes: dict[str, set[str]] = {}
    for pid, code in zip(sites["program_id"], sites["county_code"]):
        if not pd.isna(code):
            site_codes.setdefault(str(pid), set()).add(str(code))
    stated: dict[str, int] = {}
    no_county = facts["county_code"].isna() & (facts["base_unit"] == "county")
    for pid, v in zip(facts.loc[no_county, "program_id"], facts.loc[no_county, "value"]):
        if not pd.isna(pid):
            stated[str(pid)] = max(stated.get(str(pid), 0), int(v))
    pref_n = {
        (str(p), str(s)): int(v)
        for p, s, v, sc, b in zip(facts["place"], facts["period_start"], facts["value"], facts["scope"],
                                  facts["base_unit"])
        if sc == "prefecture" and b == "county"
    }
    rows = []
    for _, f in facts.iterrows():
        n: int | None = None
        at_least = False
        codes: set[str] = set()
        if f["scope"] == "province":
            cov = "province"
        elif f["scope"] == "prefecture":
            cov = "prefecture"
            n = pref_n.get((str(f["place"]), str(f["period_start"])))
        elif not pd.isna(f["county_code"]):
            cov, n, codes = "county", 1, {str(f["county_code"])}
        elif not pd.isna(f["program_id"]):
            cov = "project"
            pid = str(f["program_id"])
            named, open_ended = _named_counties(f["place"])
            codes = site_codes.get(pid, set()) | named
            candidates = [len(codes), stated.get(pid, 0)]
            n = max(candidates) or None
            at_least = open_ended and n == len(codes) and stated.get(pid, 0) < len(codes)
        else:
            cov = "organization"
        rows.append((cov, n, at_least, ",".join(sorted(codes)) if codes else pd.NA,
                     coverage_label(cov, n, at_least=at_least, place=f["place"], lang="zh"),
                     coverage_label(cov, n, at_least=at_least, place=f["place"], lang="en")))
    extra = pd.DataFrame(rows, index=facts.index, columns=[
        "coverage", "n_counties", "n_counties_at_least", "covered_counties", "coverage_zh", "coverage_en"])
    out = pd.concat([facts, extra], axis=1)
    out["n_counties"] = out["n_counties"].astype("Int64")
    out["n_counties_at_least"] = out["n_counties_at_least"].astype(bool)
    for col in ("coverage", "covered_counties", "coverage_zh", "coverage_en"):
        out[col] = out[col].astype("string")
    return out


def _county_org_ids(tables: Mapping[str, pd.DataFrame] | None) -> dict[str, set[str]]:
    """county_code -> org_ids named as working there (pairings and program sites)."""
    pairings, programs, sites = _tables(tables, "pairings", "programs", "program_sites")
    out: dict[str, set[str]] = {}
    for code, org in zip(pairings["county_code"], pairings["org_id"]):
        if not pd.isna(code):
            out.setdefault(str(code), set()).add(str(org))
    prog_org = dict(zip(programs["program_id"], programs["org_id"]))
    for code, pid in zip(sites["county_code"], sites["program_id"]):
        if not pd.isna(code) and not pd.isna(prog_org.get(pid, pd.NA)):
            out.setdefault(str(code), set()).add(str(prog_org[pid]))
    return out


def county_facts(
    county: str,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    include_province: bool = False,
) -> pd.DataFrame:
    """A county's own facts and the shared facts that concern it, each labelled.

    Own: facts with the county's ``county_code``. Shared: ``project`` facts of a program
    with a site in the county (or a place listing it), ``organization`` facts of an
    organisation working there, ``prefecture`` facts of its prefecture and, with
    ``include_province=True``, the province's.

    Parameters
    ----------
    county
        Anything :func:`impact.geo.resolve_county` accepts (``"景谷"``, ``"530824"``).
    tables
        Registry tables by name; read from ``data/raw/registry`` when absent.

    Returns
    -------
    DataFrame
        :func:`fact_coverage` rows with ``own`` (bool) and ``label_zh``/``label_en``
        (``本县`` or the shared label, e.g. ``全项目合计（涉及3县）``), own facts first,
        then by ``fact_id``.
    """
    from impact.geo import resolve_county

    c = resolve_county(county)
    cov = fact_coverage(tables)
    orgs_here = _county_org_ids(tables).get(c.code, set())
    prefecture_forms = {c.prefecture, c.prefecture.removesuffix("市"), c.prefecture.removesuffix("自治州")}
    covered = cov["covered_counties"].fillna("").str.split(",")
    own = (cov["coverage"] == "county") & (cov["county_code"] == c.code).fillna(False)
    project = (cov["coverage"] == "project") & covered.map(lambda xs: c.code in xs)
    organization = (cov["coverage"] == "organization") & cov["org_id"].isin(orgs_here).fillna(False)
    prefecture = (cov["coverage"] == "prefecture") & cov["place"].isin(prefecture_forms).fillna(False)
    province = (cov["coverage"] == "province") & include_province
    keep = own | project | organization | prefecture | province
    out = cov[keep].copy()
    out["own"] = own[keep].astype(bool)
    out["label_zh"] = out["coverage_zh"]
    out["label_en"] = out["coverage_en"]
    return out.sort_values(["own", "fact_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def organization_count_text(n_social: object, n_enterprises: object, *, lang: str = "zh") -> str:
    """Words for a county's organisation count; ``<NA>`` means the article names none (not 0).

    ``(2, 0)`` → ``"2家社会组织"``; ``(0, 1)`` → ``"0家社会组织，1家企业"``; ``(<NA>, <NA>)`` →
    ``"原文未点名组织"`` / ``"none named in the article"``.
    """
    check_option("lang", lang, ("zh", "en"))
    if n_social is None or pd.isna(n_social):  # type: ignore[arg-type]
        return "原文未点名组织" if lang == "zh" else "none named in the article"
    s, e = int(n_social), int(0 if n_enterprises is None or pd.isna(n_enterprises) else n_enterprises)  # type: ignore[arg-type]
    if lang == "zh":
        return f"{s}家社会组织" + (f"，{e}家企业" if e else "")
    text = f"{s} social organisation{'' if s == 1 else 's'}"
    return text + (f", {e} enterprise{'' if e == 1 else 's'}" if e else "")


def county_organizations(tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Organisations the article names as working in each of the 129 counties.

    An organisation works in a county when the article pairs it with the county
    (``pairings``) or runs one of its programs there (``program_sites``).

    Returns
    -------
    DataFrame
        One row per county (``impact.geo.county_table`` order): ``county_code, county,
        prefecture, named`` (bool: the article names at least one organisation there),
        ``n_organizations``, ``n_social_organizations``, ``n_enterprises`` (Int64,
        ``<NA>`` when none is named: "not named in the article" is not 0),
        ``organizations`` (names joined by ``、``, ``<NA>`` when none), ``text_zh``,
        ``text_en`` (from :func:`organization_count_text`).
    """
    from impact.geo import county_table

    (orgs,) = _tables(tables, "organizations")
    kind = dict(zip(orgs["org_id"], orgs["kind"]))
    name = dict(zip(orgs["org_id"], orgs["name"]))
    by_county = _county_org_ids(tables)
    ct = county_table()
    rows = []
    for code, cname, pref in zip(ct["county_code"], ct["name"], ct["prefecture"]):
        ids = sorted(by_county.get(str(code), set()))
        if not ids:
            rows.append((code, cname, pref, False, pd.NA, pd.NA, pd.NA, pd.NA))
            continue
        n_ent = sum(kind.get(i) == "enterprise" for i in ids)
        rows.append((code, cname, pref, True, len(ids), len(ids) - n_ent, n_ent, "、".join(name[i] for i in ids)))
    out = pd.DataFrame(rows, columns=["county_code", "county", "prefecture", "named", "n_organizations",
                                      "n_social_organizations", "n_enterprises", "organizations"])
    for col in ("n_organizations", "n_social_organizations", "n_enterprises"):
        out[col] = out[col].astype("Int64")
    for col in ("county_code", "county", "prefecture", "organizations"):
        out[col] = out[col].astype("string")
    out["text_zh"] = [organization_count_text(s, e, lang="zh")
                      for s, e in zip(out["n_social_organizations"], out["n_enterprises"])]
    out["text_en"] = [organization_count_text(s, e, lang="en")
                      for s, e in zip(out["n_social_organizations"], out["n_enterprises"])]
    return out


def province_facts(tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The province- and prefecture-scope facts (3000余万元, 27 key counties, 昭通's 28/27/51
    organisations and 11 counties, 大理's 24 and 12, ...) with quotes and coverage labels,
    province first, then by ``fact_id``."""
    cov = fact_coverage(tables)
    out = cov[cov["coverage"].isin(["province", "prefecture"])].copy()
    out["_order"] = (out["coverage"] == "prefecture").astype(int)
    return out.sort_values(["_order", "fact_id"], kind="stable").drop(columns="_order").reset_index(drop=True)


def funds_by_county(facts: pd.DataFrame) -> pd.Series:
    """Funds (yuan) the article states for one county alone, by ``county_code``.

    Sums the values of the fund facts (:func:`fund_facts`) that carry a ``county_code``;
    program-wide figures covering several counties are left out (they are no one county's).
    """
    if facts.empty:
        return pd.Series(dtype=float, name="funds")
    f = facts[facts["county_code"].notna() & (facts["county_code"] != "")]
    f = fund_facts(f.assign(value=pd.to_numeric(f["value"], errors="coerce")))
    return f.groupby("county_code")["value"].sum().rename("funds")


def programs_by_county(sites: pd.DataFrame) -> pd.Series:
    """Number of registry programs sited in each county (``program_sites`` rows), by ``county_code``."""
    if sites.empty:
        return pd.Series(dtype=float, name="programs")
    return sites.dropna(subset=["county_code"]).groupby("county_code")["program_id"].nunique().rename("programs")
