"""Write the report notebooks (notebooks/*.ipynb) without outputs or execution counts.

The notebooks are thin: they call :mod:`impact.report.county` or
:mod:`impact.report.province` and show what they return with :mod:`impact.report.render`. Edit the cells here and rerun ``python scripts/make_report_notebooks.py``;
``tests/test_notebooks.py`` checks the committed files equal what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (impact)", "language": "python"}


def _params(src: str):
    return new_code_cell(src, metadata={"tags": ["parameters"]})


def _code(src: str):
    return new_code_cell(src)


#: The evaluator's inputs of the 绩效评价, declared by both report notebooks.
EVALUATOR_PARAMS = ('\nsheet = ""  # the evaluator\'s filled sheet (.xlsx from `impact evaluation sheet`), \'\' for none'
                    '\nsurvey = ""  # a beneficiary satisfaction survey (table kind satisfaction_survey), \'\' for none')


def county_report() -> nbformat.NotebookNode:
    cells = [
        _params('county = "景谷县"\nyear = 2024\nlang = "zh"\ndata_dir = ""\nprocessed_dir = ""' + EVALUATOR_PARAMS),
        _code(
            "# Build every section of the report from the library; sections that do not apply are None.\n"
            "from impact.report.county import INDICATOR_SECTORS, county_report\n"
            "from impact.report.render import collect_report, show\n\n"
            "rep = county_report(county, year, lang, data_dir, processed_dir, sheet=sheet or None, "
            "satisfaction=survey or None)\n"
            "collect_report(rep)\n"
            "show(rep)  # title, code, prefecture and, when simulated data is used, the banner"
        ),
        _code('show(rep.section("summary"))'),
        _code('show(rep.section("maps"))'),
        _code('show(rep.section("exposure"))'),
        _code(
            "# Indicators, one section per sector active in the county\n"
            "for key in INDICATOR_SECTORS:\n"
            "    show(rep.section(key))"
        ),
        _code('show(rep.section("bcr"))  # benefit–cost ratio with sensitivity, where costs and benefits are known'),
        _code('show(rep.section("causal"))'),
        _code('show(rep.section("evaluation"))  # 绩效评价: 一、基本情况 … 九、典型案例, the document the Word file holds'),
        _code('show(rep.section("appendix"))'),
        _code('show(rep.section("notes"))  # estimator warnings and parts not computed, with reasons'),
    ]
    return _notebook(cells)


def province_report() -> nbformat.NotebookNode:
    cells = [
        _params('year = 2024\nlang = "zh"\ndata_dir = ""\nprocessed_dir = ""' + EVALUATOR_PARAMS),
        _code(
            "from impact.report.province import province_report\n"
            "from impact.report.render import collect_report, show\n\n"
            "rep = province_report(year, lang, data_dir, processed_dir, sheet=sheet or None, "
            "satisfaction=survey or None)\n"
            "collect_report(rep)\n"
            "show(rep)"
        ),
        _code('show(rep.section("outline"))  # 一、基本情况 … 九、典型案例: rep.document, the blocks the Word file holds'),
        _code('show(rep.section("appendix"))  # input files and package versions'),
    ]
    return _notebook(cells)


def explore() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# Exploring the data / 数据探索\n\n"
            "This notebook is for policy staff. Each clean table loads in one line; questions are answered "
            "with SQL (DuckDB) or pandas. Run it top to bottom, then change the questions.\n\n"
            "本笔记本供政策工作人员使用：一行代码读取整理好的数据表，用 SQL（DuckDB）或 pandas 提问。"
        ),
        _params('lang = "zh"'),
        new_markdown_cell("## Load the tables / 读取数据表\n\n`impact.load(name)` returns a pandas DataFrame."),
        _code(
            "import duckdb\n"
            "import impact\nfrom impact import geo\n"
            "from impact import i18n\n\n"
            'programs = impact.load("programs")\n'
            'sites = impact.load("program_sites")\n'
            'organizations = impact.load("organizations")\n'
            'pairings = impact.load("pairings")\n'
            'facts = impact.load("facts")\n'
            "counties = geo.county_table()\n"
            "programs.head()"
        ),
        new_markdown_cell(
            "## Which counties have no health program? / 哪些县没有医疗卫生项目？\n\n"
            "DuckDB queries the DataFrames above by their variable names."
        ),
        _code(
            "no_health = duckdb.sql('''\n"
            "    SELECT c.county_code, c.name, c.prefecture\n"
            "    FROM counties c\n"
            "    WHERE c.county_code NOT IN (\n"
            "        SELECT s.county_code FROM sites s JOIN programs p USING (program_id)\n"
            "        WHERE p.sector = 'health' AND s.county_code IS NOT NULL)\n"
            "    ORDER BY c.county_code\n"
            "''').df()\n"
            'print(len(no_health), "of", len(counties), "counties have no health program in the registry")\n'
            "no_health.head(10)"
        ),
        new_markdown_cell("The same question in pandas / 用 pandas 回答同一个问题："),
        _code(
            'health_sites = sites.merge(programs, on="program_id").query("sector == \'health\'")\n'
            'no_health_pd = counties[~counties["county_code"].isin(health_sites["county_code"])]\n'
            "assert sorted(no_health_pd['county_code']) == sorted(no_health['county_code'])\n"
            "len(no_health_pd)"
        ),
        new_markdown_cell(
            "## Funds by prefecture / 各州（市）资金\n\n"
            "The article states funds for a few counties only, and the bundled data hold no population, so "
            "*per capita* needs your own population table (`county_code, population`); the query below shows "
            "funds per 1,000 km² of the whole prefecture and, when `population` is given, per capita.\n\n"
            "原文只给出少数县的资金数额，内置数据没有人口，因此“人均”需要用户提供人口表；下面给出每千平方公里资金，"
            "提供人口表后同一查询即得人均资金。"
        ),
        _code(
            "from impact.registry import funds_by_county\n\n"
            "county_funds = funds_by_county(facts).reset_index()\n"
            "population = None  # e.g. impact.io.read_table('my_population.csv', dtype={'county_code': str})\n"
            "by_pref = duckdb.sql('''\n"
            "    SELECT c.prefecture, SUM(f.funds) AS funds_stated, SUM(c.area_km2) AS area_km2,\n"
            "           SUM(f.funds) / SUM(c.area_km2) * 1000 AS funds_per_1000_km2\n"
            "    FROM counties c LEFT JOIN county_funds f USING (county_code)\n"
            "    GROUP BY c.prefecture ORDER BY funds_stated DESC NULLS LAST\n"
            "''').df()\n"
            "# funds_stated is empty (NaN) where the article states no amount for any county of the prefecture\n"
            "if population is not None:\n"
            "    by_pref = by_pref.merge(\n"
            "        counties.merge(population, on='county_code').groupby('prefecture')['population'].sum(),\n"
            "        on='prefecture')\n"
            "    by_pref['funds_per_capita'] = by_pref['funds_stated'] / by_pref['population']\n"
            "by_pref"
        ),
        new_markdown_cell(
            "## The same tables as SQL views / 用 SQL 视图查询\n\n"
            "`impact.build.connect()` opens DuckDB with one view per processed table (also in "
            "`data/processed/impact.duckdb` for other SQL tools)."
        ),
        _code(
            "con = impact.build.connect()\n"
            "con.sql('''\n"
            "    SELECT p.sector, COUNT(DISTINCT p.program_id) AS programs, COUNT(DISTINCT s.county_code) AS counties\n"
            "    FROM programs p LEFT JOIN program_sites s USING (program_id)\n"
            "    GROUP BY p.sector ORDER BY programs DESC\n"
            "''').df()"
        ),
        new_markdown_cell("## Charts and maps / 图表与地图"),
        _code(
            "from impact import plots\n"
            "from impact.registry import programs_by_county\n\n"
            "per_sector = programs.groupby('sector').size().rename('n').reset_index()\n"
            "per_sector['label'] = per_sector['sector'].map(lambda s: i18n.sector_name(s, lang))\n"
            "plots.to_image(plots.bar_chart(per_sector, 'label', 'n', lang=lang, xlabel=i18n.t('fig.programs', lang)))"
        ),
        _code(
            "from impact import maps\n\n"
            "plots.to_image(maps.province_choropleth(programs_by_county(sites), lang=lang,\n"
            "                                        label=i18n.column_name('n_programs', lang)))"
        ),
        new_markdown_cell(
            "## Facts with their sources / 事实与原文\n\n"
            "Every registry figure keeps the article's sentence in `quote`: search it like any text."
        ),
        _code(
            "duckdb.sql(\"SELECT fact_id, measure, value, base_unit, qualifier, quote FROM facts "
            "WHERE quote LIKE '%景谷%'\").df()"
        ),
    ]
    return _notebook(cells)


def _notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


NOTEBOOK_BUILDERS = {
    "county_report.ipynb": county_report,
    "province_report.ipynb": province_report,
    "explore.ipynb": explore,
}


def render(name: str) -> str:
    nb = NOTEBOOK_BUILDERS[name]()
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main() -> int:
    NOTEBOOKS.mkdir(exist_ok=True)
    for name in NOTEBOOK_BUILDERS:
        (NOTEBOOKS / name).write_text(render(name), encoding="utf-8")
        print(f"wrote notebooks/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
