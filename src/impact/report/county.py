"""The county report: what the county notebook shows, section by section.

:func:`county_report` reads the county's slice of the shared tables
(:mod:`impact.report.cache`) when they are current, else computes its own county
(:func:`impact.report.tables.compute_tables`), and builds each section: summary,
maps, exposure (paired organizations and programs with the article's quotes), one
indicator section per active sector, benefit–cost ratio, causal estimate, appendix
and notes. Sections that do not apply to the county are ``None``. Numbers are
language-independent; sentences come from :mod:`impact.report.text`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from types import SimpleNamespace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from impact.design import design
from impact import fmt
from impact.i18n import MESSAGES, column_name, kind_name, level_name, sector_name, t
from impact.plots import bar_chart, event_study_plot, forest_plot, gap_plot, sensitivity_heatmap
from impact.registry import county_organizations, fund_facts, funds_total
from impact.registry import county_facts as registry_county_facts
from impact.report.cache import cache_dir, cached_png, figure_dir, read_cache
from impact.report.county_evaluation import county_evaluation
from impact.report.inputs import Inputs, load_inputs
from impact.romanize import (bilingual, county_name_en, local_place_en, organization_en, prefecture_name_en,
                             program_en)
from impact.report.render import (
    REPORT_CSS,
    mark_zh,
    quoted_english,
    Section,
    data_hashes,
    display_frame,
    fig_png,
    notes_section,
    package_versions,
    period_text,
    simulated_banner,
)
from impact.report.domains import outcome_mismatch, sector_title
from impact.report.tables import INDICATOR_SPECS, active_sectors, compute_tables
from impact.report.text import (
    HEADLINE_TERMS,
    OUTCOME_LABEL,
    SIM_MARK,
    causal_sentence,
    counterpart_value,
    facts_frame,
    interval_text,
    pretrend_text,
    synth_assess,
    value_text,
    indicator_label,
    indicator_sentence,
    is_local,
    summary_sentences,
    synth_caveats,
    unit_label,
)
from impact.results import check_option
from impact.vocab import INDICATOR_SECTORS, LANGS, Lang

__all__ = ["INDICATOR_SECTORS", "CountyReport", "county_report"]


@dataclass
class CountyReport:
    """Everything the county notebook displays, in order; absent sections are ``None``."""

    code: str
    name: str
    short_name: str
    prefecture: str
    year: int
    lang: str
    sections: dict[str, Section | None]
    summary: list[str]
    simulated: bool
    seed: str | None
    tables: dict[str, pd.DataFrame]

    @property
    def skipped(self) -> dict[str, str]:
        """``{part: reason}`` of the parts not computed (from the ``notes`` table)."""
        notes = self.tables.get("notes")
        if not isinstance(notes, pd.DataFrame) or notes.empty:
            return {}
        s = notes[notes["kind"] == "skipped"]
        return dict(zip(s["part"].astype(str), s["message"].astype(str)))

    def title(self) -> str:
        name = self.name if self.lang == "zh" else bilingual(self.name, county_name_en(self.code))
        return t("report.county.title", self.lang, name=name, year=self.year)

    def header_html(self) -> str:
        """Title, identity, simulated banner (only where simulated rows were used), a link back
        to the index and the table of contents of the sections present."""
        e = html.escape
        pref = self.prefecture if self.lang == "zh" else bilingual(self.prefecture, prefecture_name_en(self.prefecture))
        out = [REPORT_CSS, f'<p class="back"><a href="../index.html">{e(t("nav.index", self.lang))}</a></p>',
               f"<h1>{e(self.title())}</h1>",
               f"<p>{e(t('report.identity', self.lang, code=self.code, prefecture=pref))}</p>"]
        if self.simulated:
            out.append(simulated_banner(self.lang, self.seed, top=True))
        toc = [f'<li><a href="#sec-{e(k)}">{e(sec.title)}</a></li>' for k, sec in self.sections.items()
               if sec is not None]
        out.append(f'<nav class="toc"><strong>{e(t("nav.toc", self.lang))}</strong><ol>{"".join(toc)}</ol></nav>')
        text = "\n".join(out)
        return mark_zh(text) if self.lang == "en" else text

    def section(self, key: str) -> Section | None:
        return self.sections.get(key)

    def applies(self, key: str) -> bool:
        return self.sections.get(key) is not None

    def export_tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables for the workbook (non-empty ones only)."""
        out = {}
        for key in ("orgs", "programs", "facts", "indicators", "synth", "scoring"):  # simulated flag per row
            df = self.tables.get(key)
            if isinstance(df, pd.DataFrame) and not df.empty:
                out[key] = df.reset_index(drop=True)
        return out


    @property
    def document(self) -> Any:
        """The county's 绩效评价 document (the section ``evaluation``), which its Word file holds;
        ``None`` when the section is absent."""
        return getattr(self.sections.get("evaluation"), "document", None)

    def headlines(self) -> dict[str, tuple[Any, str, str | None]]:
        """Headline figures ``{name: (value, label, unit)}`` for the index page."""
        lang = self.lang
        progs = self.tables["programs"]
        facts = self.tables["facts"]
        own = facts[is_local(facts, self.code)] if not facts.empty else facts
        funds = fund_facts(own, include="all") if not own.empty else own
        total = (funds_total(own, include="social_organizations").value if not funds.empty else None)
        co = self.tables.get("county_orgs")
        n_orgs: Any = None
        if isinstance(co, pd.DataFrame) and not co.empty:  # empty: the article names no organisation here
            n = co["n_organizations"].iloc[0]
            n_orgs = int(n) if pd.notna(n) else t("orgs.not_named", lang)
        out: dict[str, tuple[Any, str, str | None]] = {
            "organizations": (n_orgs, column_name("n_organizations", lang), None),
            "programs": (int(progs["program_id"].nunique()) if not progs.empty else 0, column_name("n_programs", lang), None),
            "funds_yuan": (total, t("headline.funds_own", lang), "元" if lang == "zh" else "yuan"),
        }
        syn = self.tables.get("synth")
        a = synth_assess(syn.iloc[0], n_post=self.tables.get("n_post"), lang=lang) \
            if isinstance(syn, pd.DataFrame) and not syn.empty else None
        if isinstance(syn, pd.DataFrame) and not syn.empty and (a is None or a.narrate_effect):
            out["synth_effect"] = (float(syn["estimate"].iloc[0]), t("section.causal", lang), None)
            out["synth_p"] = (float(syn["p_value"].iloc[0]), column_name("p_value", lang), None)
        out["simulated"] = (bool(self.simulated), column_name("simulated", lang), None)
        return out


def org_kinds(df: pd.DataFrame, organizations: pd.DataFrame | None) -> pd.Series:
    """The organisation kind of each row of ``df``: its ``kind`` column, else looked up by
    ``org_id`` in the registry's ``organizations`` (missing where neither says)."""
    if "kind" in df.columns:
        return df["kind"]
    if organizations is None or organizations.empty or "org_id" not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="object")
    lookup = dict(zip(organizations["org_id"].astype(str), organizations["kind"]))
    return df["org_id"].map(lambda o: lookup.get(str(o), pd.NA) if isinstance(o, str) else pd.NA)


def kind_text(kind: Any, lang: str) -> str:
    """An organisation kind for display; ``类型未说明`` / ``kind not given`` when unknown."""
    return t("kind.not_given", lang) if kind is None or pd.isna(kind) or not str(kind) else kind_name(kind, lang)


def english_names(df: pd.DataFrame, lang: str, *, organizations: pd.DataFrame | None = None) -> pd.DataFrame:
    """On English pages: organisation and program names romanised/translated with the Chinese
    beside (:mod:`impact.romanize`); the organisation's kind from its ``kind`` column or, when
    the table has none, from ``organizations`` by ``org_id``; unchanged on Chinese pages."""
    if lang == "zh" or df.empty:
        return df
    out = df.copy()
    if "organization" in out.columns:
        kinds = org_kinds(out, organizations)
        out["organization"] = [n if not isinstance(n, str) or not n else organization_en(n, k)
                               for n, k in zip(out["organization"], kinds)]
    if "program" in out.columns:
        secs = out["sector"] if "sector" in out.columns else pd.Series(None, index=out.index)
        out["program"] = [n if not isinstance(n, str) or not n else program_en(n, s)
                          for n, s in zip(out["program"], secs)]
    return out


def delivered_text(row: pd.Series, lang: str) -> str:
    """The ``帮扶内容`` cell: the article's words on Chinese pages; on English pages the project's
    translation (``delivered_en``), labelled as such, with the Chinese beside (a user's own
    program without a translation says it is not translated)."""
    zh = row.get("delivered")
    zh = zh if isinstance(zh, str) and zh else ""
    if lang == "zh":
        return zh or "—"
    en = row.get("delivered_en")
    if isinstance(en, str) and en:
        return t("delivered.translated", lang, en=en, zh=zh) if zh else en
    return t("delivered.untranslated", lang, zh=zh) if zh else "—"


def towns_text(towns: Any, lang: str) -> str:
    """Towns of a program: as written on Chinese pages, romanised with the Chinese beside on English ones."""
    if not isinstance(towns, str) or not towns:
        return ""
    return towns if lang == "zh" else local_place_en(towns)


def _declared(progs: pd.DataFrame, lang: str) -> list[str]:
    """Who states each program: the article, or the user (own programs, not quoted from the article)."""
    col = progs["declared_by"] if "declared_by" in progs.columns else pd.Series("article", index=progs.index)
    return [t(f"declared.{'user' if v == 'user' else 'article'}", lang) for v in col]


def _county_rows(df: pd.DataFrame, code: str, *, keep_shared: bool = False) -> pd.DataFrame:
    """Rows of county ``code`` (and rows about no county in particular when ``keep_shared``)."""
    mine = df["county_code"] == code
    if keep_shared:
        mine = mine | df["county_code"].isna()
    return df[mine.fillna(False).astype(bool)].reset_index(drop=True)


def county_report(county: str | int, year: int = 2024, lang: Lang = "zh", data_dir: str | Path = "",
                  processed_dir: str | Path = "", *, figures: bool = True, sheet: str | Path | None = None,
                  satisfaction: str | Path | None = None) -> CountyReport:
    """Build the county report's sections for ``county`` (any form the resolver accepts).

    Reads the precomputed slice when :func:`precompute` has run on the same
    inputs, else computes this county's tables. Raises ``UnknownCountyError`` /
    ``AmbiguousCountyError`` for a bad county. ``sheet`` (the evaluator's filled sheet) and
    ``satisfaction`` (a survey) feed the 绩效评价 section
    (:func:`impact.report.county_evaluation.county_evaluation`).
    """
    from impact.geo import resolve_county

    check_option("lang", lang, LANGS)
    c = resolve_county(county)
    year = int(year)
    inputs = load_inputs(data_dir, processed_dir)
    tables = read_cache(cache_dir(year, processed_dir), year, inputs.digest(), c.code)
    if tables is None:
        tables = compute_tables(inputs, year, [c.code])
    tables = {k: (_county_rows(v, c.code, keep_shared=(k == "notes"))
                  if isinstance(v, pd.DataFrame) and "county_code" in v.columns else v)
              for k, v in tables.items()}
    es = tables.get("event_study")
    if isinstance(es, pd.DataFrame) and "sector" in es.columns:  # the sector of this county's estimate only
        tables["event_study"] = es[es["sector"].isin(set(tables["synth"].get("sector", [])))].reset_index(drop=True)
    syn = tables.get("synth")
    if isinstance(syn, pd.DataFrame) and not syn.empty:  # simulated only where this county's panel rows are
        tables["synth"] = syn.assign(simulated=inputs.is_simulated("county_panel", c.code))
    tables["programs"] = with_own_programs(tables["programs"], c.code, inputs, processed_dir)
    tables["facts"] = labelled_facts(c.code, inputs)
    co = county_organizations(tables=inputs.registry)
    tables["county_orgs"] = co[co["county_code"].astype(str) == c.code].reset_index(drop=True)
    gaps = tables.get("gaps")
    n_post = None
    if isinstance(syn, pd.DataFrame) and not syn.empty and isinstance(gaps, pd.DataFrame) and not gaps.empty:
        own_gap = gaps[gaps["unit"].astype(str) == c.code]
        n_post = int((pd.to_numeric(own_gap["year"]) >= int(syn["cohort"].iloc[0])).sum())
    tables["n_post"] = n_post
    sections: dict[str, Section | None] = {}
    panel = inputs.data.get("county_panel")
    sectors = active_sectors(tables["programs"], panel, c.code, year)
    ind = tables["indicators"]
    if not ind.empty:  # every indicator the county's data support, whatever the registry says
        present = set(ind.loc[ind["estimate"].notna(), "sector"].astype(str))
        sectors = [s for s in INDICATOR_SECTORS if s in set(sectors) | present] + \
                  [s for s in sectors if s not in INDICATOR_SECTORS]
    sections["summary"] = summary_section(c, tables, sectors, lang, inputs)
    sections["maps"] = maps_section(c, tables, lang, processed_dir) if figures else None
    sections["exposure"] = exposure_section(c, tables, lang, inputs)
    for s in INDICATOR_SECTORS:
        sections[s] = sector_section(s, c, tables, sectors, lang, inputs, figures=figures)
    sections["bcr"] = bcr_section(c, tables, sectors, lang, inputs, figures=figures)
    sections["causal"] = causal_section(c, tables, lang, inputs, figures=figures)
    progs = tables["programs"]
    shown = set(progs.loc[progs["sector"].isin([s for s in INDICATOR_SECTORS if sections.get(s) is not None]),
                          "program_id"]) if not progs.empty else set()
    evaluation = county_evaluation(c.code, year, lang, data_dir, processed_dir, sheet=sheet,
                                   satisfaction=satisfaction, figures=figures, seed=inputs.seed)
    sections["evaluation"] = evaluation  # type: ignore[assignment] - shown like a Section (title, to_html)
    tables["scoring"] = evaluation.evaluation.table
    sections["appendix"] = appendix_section(c, tables, lang, inputs, shown_programs=shown)
    sections["notes"] = notes_section(tables["notes"], lang)
    used_sim = any(sec is not None and sec.simulated for sec in sections.values())
    return CountyReport(code=c.code, name=c.name, short_name=c.short_name, prefecture=c.prefecture,
                        year=year, lang=lang, sections=sections,
                        summary=sections["summary"].paragraphs if sections["summary"] else [],
                        simulated=used_sim, seed=inputs.seed, tables=tables)


def labelled_facts(code: str, inputs: Inputs) -> pd.DataFrame:
    """The county's own facts and the shared facts that concern it (:func:`impact.registry.county_facts`),
    each labelled (``label_zh``/``label_en``: 本县, 全项目合计（涉及N县）, ...); ``fact_county_code``
    is the county only for its own facts, so shared figures never read as the county's."""
    f = registry_county_facts(code, tables=inputs.registry)
    if f.empty:
        return f.assign(fact_county_code=pd.Series(dtype="string"))
    return f.assign(county_code=code, fact_county_code=f["own"].map(lambda o: code if bool(o) else ""))


def with_own_programs(programs: pd.DataFrame, code: str, inputs: Inputs,
                      processed_dir: str | Path = "") -> pd.DataFrame:
    """The registry's programs of county ``code`` followed by the user's own programs
    (:func:`impact.provenance.own_programs`), with ``declared_by`` (``article`` or ``user``)."""
    from impact.provenance import own_programs
    from impact.report.inputs import resolve_dirs

    out = programs.assign(declared_by="article")
    proc = resolve_dirs("", processed_dir)[1]
    if not (proc / "manifest.json").is_file():
        return out
    own = own_programs(proc, county_code=code)
    if own.empty:
        return out
    own = own[[col for col in out.columns if col in own.columns]].assign(declared_by="user")
    return pd.concat([out, own], ignore_index=True)


#: The evaluation tables each indicator reads (from :data:`impact.report.tables.INDICATOR_SPECS`).
_INDICATOR_TABLES: dict[str, tuple[str, ...]] = {s["function"]: s["tables"] for s in INDICATOR_SPECS}


def data_sources(code: str, inputs: Inputs, *, programs: pd.DataFrame | None = None,
                 indicators: pd.DataFrame | None = None, tables: Sequence[str] = ()) -> list[str]:
    """Sources of a part's data for county ``code``: ``article`` for registry programs and
    facts, ``user`` for the user's own programs and files, ``simulated`` for simulated rows."""
    out: list[str] = []
    if programs is not None and not programs.empty:
        declared = set(programs.get("declared_by", pd.Series(["article"])).astype(str))
        out += [d for d in ("article", "user") if d in declared]
    used = list(tables)
    if indicators is not None and not indicators.empty:
        for fname in dict.fromkeys(indicators["indicator"].astype(str)):
            used += list(_INDICATOR_TABLES.get(fname, ()))
    for tb in dict.fromkeys(used):
        out += inputs.sources(tb, code)
    order = ["article", "user", "simulated"]
    seen = list(dict.fromkeys(out))
    return [s for s in order if s in seen] + [s for s in seen if s not in order]


def summary_section(c: Any, tables: dict[str, Any], sectors: Sequence[str], lang: str, inputs: Inputs) -> Section:
    shown_c = c if lang == "zh" else SimpleNamespace(code=c.code, short_name=county_name_en(c.code))
    sentences = summary_sentences(shown_c, tables, sectors, lang)
    used = tables["indicators"]
    used = used[used["sector"].isin(sectors) & used["term"].isin(HEADLINE_TERMS)] if not used.empty else used
    sim = bool(not used.empty and used["simulated"].any())
    syn = tables.get("synth")
    if isinstance(syn, pd.DataFrame) and not syn.empty:
        sentences.append(causal_sentence(syn.iloc[0], lang, n_post=tables.get("n_post")))
        sim = sim or bool(syn["simulated"].iloc[0])
    sources = data_sources(c.code, inputs, programs=tables["programs"], indicators=used,
                           tables=("county_panel",) if isinstance(syn, pd.DataFrame) and not syn.empty else ())
    # each sentence on simulated data carries 【模拟】 (text.py): the banner says only those are simulated
    return Section("summary", t("section.summary", lang), lang, paragraphs=sentences, simulated=sim,
                   seed=inputs.seed, box=True, sources=sources, partly=sim and bool(set(sources) - {"simulated"}))


def locator_map_png(code: str, lang: str, processed_dir: str | Path = "") -> bytes:
    """The county's locator map (:func:`impact.maps.locator_png`), rendered once per county and
    language and reused while the geography files, the font and the code are unchanged
    (:func:`impact.report.cache.cached_png`)."""
    from impact import config, maps
    from impact.digest import file_sha256, tree_digest
    from impact.fonts import font_path

    parts = [tree_digest(config.GEO_DIR), file_sha256(font_path()), code, lang]
    return cached_png(figure_dir(processed_dir), f"locator_{code}_{lang}", parts,
                      lambda: maps.locator_png(code, lang))  # type: ignore[arg-type]


def maps_section(c: Any, tables: dict[str, Any], lang: str, processed_dir: str | Path = "") -> Section | None:
    """County within prefecture and province (from :mod:`impact.maps`); programs by town."""
    sec = Section("maps", t("section.maps", lang), lang)
    shown_name = c.name if lang == "zh" else bilingual(c.name, county_name_en(c.code))
    prefecture = c.prefecture if lang == "zh" else prefecture_name_en(c.prefecture)
    sec.figures.append((t("fig.locator", lang, name=shown_name, prefecture=prefecture),
                        locator_map_png(c.code, lang, processed_dir)))
    progs = tables["programs"]
    towns = progs[progs["towns"].astype(str) != ""] if not progs.empty else progs
    if not towns.empty:
        d = english_names(towns, lang).assign(sector=towns["sector"].map(lambda s: sector_name(s, lang)),
                                              towns=towns["towns"].map(lambda v: towns_text(v, lang)))
        sec.tables.append((column_name("town", lang), display_frame(d, ["towns", "program", "sector"], lang)
                           .rename(columns={"towns": column_name("town", lang)})))
    return sec if (sec.figures or sec.tables) else None


def exposure_section(c: Any, tables: dict[str, Any], lang: str, inputs: Inputs) -> Section:
    """Paired organizations and programs, with the article's verbatim quotes."""
    orgs, progs = tables["orgs"], tables["programs"]
    sec = Section("exposure", t("section.exposure", lang), lang,
                  sources=data_sources(c.code, inputs, programs=progs) or (["article"] if not orgs.empty else []))
    if orgs.empty and progs.empty:
        sec.paragraphs.append(t("note.no_programs", lang))
        return sec
    if not orgs.empty:
        d = english_names(orgs, lang)
        d = d.assign(level=orgs["level"].map(lambda v: "—" if pd.isna(v) else level_name(v, lang)),
                     kind=orgs["kind"].map(lambda v: kind_text(v, lang)))
        sec.tables.append((t("section.exposure", lang),
                           display_frame(d, ["organization", "level", "kind", "year", "event", "quote"], lang)))
    if not progs.empty:
        d = english_names(progs, lang, organizations=inputs.registry.get("organizations"))
        d = d.assign(sector=progs["sector"].map(lambda v: sector_name(v, lang)),
                     period=progs.apply(lambda r: period_text(r, lang), axis=1),
                     delivered=[delivered_text(r, lang) for _, r in progs.iterrows()],
                     towns=progs["towns"].map(lambda v: towns_text(v, lang)),
                     declared_by=_declared(progs, lang))
        sec.tables.append((column_name("program", lang),
                           display_frame(d, ["program", "organization", "sector", "period", "towns", "delivered",
                                              "declared_by", "quote"], lang).rename(columns={"towns": column_name("town", lang)})))
        counts = progs.groupby("sector").size().rename("n").reset_index()
        counts["label"] = counts["sector"].map(lambda s: sector_name(s, lang))
        sec.figures.append((t("fig.programs", lang), fig_png(bar_chart(counts, "label", "n", lang=lang,
                                                                        xlabel=t("fig.programs", lang)))))
    return sec


def sector_section(sector: str, c: Any, tables: dict[str, Any], sectors: Sequence[str], lang: str,
                   inputs: Inputs, *, figures: bool = True) -> Section | None:
    """Indicators of one sector; ``None`` when the sector is not active in the county."""
    if sector not in sectors:
        return None
    sec = Section(sector, sector_title(sector, tables["programs"], tables["indicators"], lang), lang,
                  seed=inputs.seed)
    progs = tables["programs"]
    sp = progs[progs["sector"] == sector] if not progs.empty else progs
    if not sp.empty:
        # the programs by name and organisation (their table with quotes is in the exposure section)
        named = english_names(sp, lang, organizations=inputs.registry.get("organizations"))
        items = [t("sector.program_item", lang, program=p, organization=o if isinstance(o, str) and o else "—",
                   declared=t(f"declared.{'user' if d == 'user' else 'article'}", lang))
                 for p, o, d in zip(named["program"], named["organization"],
                                    sp.get("declared_by", pd.Series("article", index=sp.index)))]
        sec.paragraphs.append(t("sector.programs", lang, items=("；" if lang == "zh" else "; ").join(items)))
        ids = set(sp["program_id"])
        f = tables["facts"]
        f = f[f["program_id"].isin(ids)] if not f.empty else f
        if not f.empty:
            sec.tables.append((t("appendix.registry_facts", lang), facts_frame(f, lang)))
    ind = tables["indicators"]
    ind = ind[ind["sector"] == sector] if not ind.empty else ind
    if not ind.empty:
        shown = ind.copy()
        names = dict(zip(tables["programs"].get("program_id", []), tables["programs"].get("program", [])))
        shown["label"] = [indicator_label(r, lang, names) for _, r in shown.iterrows()]
        shown["ci"] = [interval_text(a, b, u, lang) for a, b, u in zip(shown["conf_low"], shown["conf_high"], shown["unit"])]
        shown["estimate_s"] = [(SIM_MARK[lang] if sim else "") + value_text(v, u, lang)
                               for v, u, sim in zip(shown["estimate"], shown["unit"], shown["simulated"])]
        shown["article"] = [counterpart_value(r, tables["facts"], lang) for _, r in shown.iterrows()]
        shown["n"] = shown["n"].map(lambda v: "—" if pd.isna(v) else fmt.count(float(v), lang=lang))
        shown["method"] = [t(f"method.{i}", lang) if f"method.{i}" in MESSAGES else m
                           for i, m in zip(shown["indicator"], shown["method"])]
        cols = ["label", "estimate_s", "ci"] + (["article"] if (shown["article"] != "—").any() else []) + ["n", "method"]
        sec.tables.append((t("section.indicators", lang), shown[cols]
                           .rename(columns={"label": column_name("indicator", lang),
                                            "estimate_s": column_name("estimate", lang),
                                            "article": column_name("article_figure", lang),
                                            "ci": column_name("ci", lang), "n": column_name("n", lang),
                                            "method": column_name("method", lang)})))
        sec.paragraphs += [indicator_sentence(r, lang, names, facts=tables["facts"]) for _, r in ind.iterrows()
                           if not r.get("note") and pd.notna(r["estimate"])]
        sec.notes += [f"{indicator_label(r, lang, names)}{'：' if lang == 'zh' else ': '}"
                      f"{quoted_english(str(r['note']), lang)}" for _, r in ind.iterrows() if r.get("note")]
        sec.simulated = bool(ind["simulated"].any())
        if figures:
            ok = shown[shown["estimate"].notna() & shown["conf_low"].notna()]
            for unit, g in ok.groupby("unit", sort=True):
                sec.figures.append((t("section.indicators", lang), fig_png(
                    forest_plot(g, "label", lang=lang, xlabel=unit_label(unit, lang)),
                    simulated=bool(g["simulated"].any()), lang=lang)))
    if not sec.tables and not sec.paragraphs:
        return None
    sec.sources = data_sources(c.code, inputs, programs=sp, indicators=ind)
    return sec


def bcr_section(c: Any, tables: dict[str, Any], sectors: Sequence[str], lang: str, inputs: Inputs,
                *, figures: bool = True) -> Section | None:
    """Benefit–cost ratio with its sensitivity over discount rates and horizons; ``None``
    where the data hold no benefit and cost series for the county."""
    head, grid = tables.get("bcr"), tables.get("bcr_grid")
    if not isinstance(head, pd.DataFrame) or head.empty:
        return None
    head = head[head["sector"].isin(sectors)]
    if head.empty:
        return None
    sec = Section("bcr", t("section.bcr", lang), lang, simulated=bool(head["simulated"].any()), seed=inputs.seed,
                  sources=data_sources(c.code, inputs, tables=["cost_ledger"] + [
                      {"health": "patients", "agriculture": "households"}.get(s, "") for s in head["sector"]]))
    for sector, h in head.groupby("sector", sort=True):
        e = dict(zip(h["term"], h["estimate"]))
        sec.paragraphs.append(t("bcr.sentence", lang, sector=sector_name(sector, lang), bcr=f"{e.get('bcr', np.nan):.2f}",
                                npv=fmt.money(e.get("npv"), lang=lang), rate=f"{float(h['rate'].iloc[0]):.0%}"
                                if "rate" in h.columns else "8%"))
        g = grid[(grid["sector"] == sector) & (grid["term"] == "bcr")] if isinstance(grid, pd.DataFrame) else None
        if g is not None and not g.empty:
            shown = g.pivot_table(index="rate", columns="horizon", values="estimate", aggfunc="first")
            shown.index = [f"{v:.0%}" for v in shown.index]
            shown = shown.map(lambda v: "—" if pd.isna(v) else f"{v:.2f}").reset_index()
            shown.columns = [column_name("discount_rate", lang)] + [str(x) for x in shown.columns[1:]]
            sec.tables.append((column_name("bcr", lang), shown))
            if figures:
                sec.figures.append((column_name("bcr", lang), fig_png(sensitivity_heatmap(
                    g.rename(columns={"rate": "discount_rate"}), lang=lang, title=sector_name(sector, lang)),
                    simulated=bool(h["simulated"].any()), lang=lang)))
    return sec


def causal_section(c: Any, tables: dict[str, Any], lang: str, inputs: Inputs, *, figures: bool = True) -> Section | None:
    """Synthetic-control estimate with its gap plot, placebo p-value and caveats; ``None`` when
    the county has no pairing cohort in the panel or the estimate could not be made."""
    syn = tables["synth"]
    if syn.empty:
        return None
    r = syn.iloc[0]
    lab = OUTCOME_LABEL.get(r["outcome"], {"zh": r["outcome"], "en": r["outcome"], "unit_zh": "", "unit_en": ""})
    sec = Section("causal", t("section.causal", lang), lang, simulated=bool(r["simulated"]), seed=inputs.seed,
                  sources=data_sources(c.code, inputs, tables=("county_panel",)))
    sec.paragraphs.append(design("synthetic_control").sentence(lang))
    mismatch = outcome_mismatch(tables["programs"], str(r["sector"]), str(r["outcome"]))
    if mismatch:
        sec.paragraphs.append(t("causal.outcome_mismatch", lang, sector=sector_name(r["sector"], lang).lower() if lang == "en"
                                else sector_name(r["sector"], lang),
                                domains=("、" if lang == "zh" else ", ").join(
                                    t(f"section.domain.{d}", lang) for d in mismatch),
                                outcome=lab[lang]))
    sec.paragraphs.append(causal_sentence(r, lang, n_post=tables.get("n_post")))
    sec.paragraphs.append(t("causal.interpret", lang))
    caveats = synth_caveats(r, lang)
    sec.notes += caveats
    if r["simulated"]:
        sec.notes.append(t("caveat.simulated", lang))
    if figures and not tables["gaps"].empty:
        fig = gap_plot(tables["gaps"], treated=c.code, pairing_year=int(r["cohort"]), lang=lang,
                       ylabel=f"{lab[lang]} {lab[f'unit_{lang}']}".strip())
        sec.figures.append((t("fig.gap", lang), fig_png(fig, simulated=bool(r["simulated"]), lang=lang)))
    es = tables.get("event_study")
    if isinstance(es, pd.DataFrame) and not es.empty:
        es_all = es[es["sector"] == r["sector"]]  # with the joint pre-test row (term ``pretrend``)
        es = es_all[es_all["time"].notna()]
        if not es.empty:
            es_lab = OUTCOME_LABEL.get(str(es["outcome"].iloc[0]), lab) if "outcome" in es.columns else lab
            sec.paragraphs.append(t("causal.event_study", lang) + ("" if lang == "zh" else " ")
                                  + pretrend_text(es_all, lang, unit=es_lab[f"unit_{lang}"]))
            if figures:
                fig = event_study_plot(es, lang=lang, ylabel=f"{es_lab[lang]} {es_lab[f'unit_{lang}']}".strip(),
                                       title=t("fig.event_title", lang, sector=sector_name(r["sector"], lang)))
                sec.figures.append((t("fig.event_title", lang, sector=sector_name(r["sector"], lang)),
                                    fig_png(fig, simulated=bool(es["simulated"].any()), lang=lang)))
    return sec


def appendix_section(c: Any, tables: dict[str, Any], lang: str, inputs: Inputs, *,
                     shown_programs: set[str] | frozenset[str] = frozenset()) -> Section:
    """Sources with quotes, data hashes and package versions (what was not computed, and the
    estimators' warnings, are in the notes section). Facts already shown in a sector section
    (those of ``shown_programs``) are not repeated."""
    sec = Section("appendix", t("section.appendix", lang), lang, seed=inputs.seed)
    sec.paragraphs.append(t("appendix.sources", lang))
    f = tables["facts"]
    if not f.empty and shown_programs:
        f = f[~f["program_id"].isin(shown_programs)]
    if not f.empty:
        sec.tables.append((t("appendix.registry_facts", lang), facts_frame(f, lang)))
    sec.tables.append((t("appendix.hashes", lang), data_hashes(inputs, lang, code=c.code)))
    sec.tables.append((t("appendix.versions", lang), package_versions(lang)))
    return sec
