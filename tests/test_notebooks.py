"""The report notebooks: committed clean, parameters as specified, and they run top to bottom.

Notebooks are executed with papermill in a kernel of this interpreter (the ``.venv``):
the engine's kernel spec manager (:mod:`impact.report.kernel`) when it is there, else the
``python3`` kernelspec installed in the environment. The fast runs use a copy of the data
without the county panel (no synthetic control); full runs are marked slow.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from impact import config

NB = config.NOTEBOOKS
SCRIPT = config.ROOT / "scripts" / "make_report_notebooks.py"
NOTEBOOKS = ("county_report.ipynb", "province_report.ipynb", "explore.ipynb")
EXPECTED_PARAMETERS = {
    "county_report.ipynb": {"county": "景谷县", "year": 2024, "lang": "zh", "data_dir": "", "processed_dir": "",
                            "sheet": "", "survey": ""},
    "province_report.ipynb": {"year": 2024, "lang": "zh", "data_dir": "", "processed_dir": "", "sheet": "",
                              "survey": ""},
    "explore.ipynb": {"lang": "zh"},
}


def _generator():
    spec = importlib.util.spec_from_file_location("make_report_notebooks", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs_and_equal_to_the_generator(name):
    text = (NB / name).read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:40]
    assert text == _generator().render(name), "rerun scripts/make_report_notebooks.py"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell(name):
    nb = nbformat.read(NB / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    values = {}
    for node in ast.parse(code[0].source).body:
        assert isinstance(node, ast.Assign), "only assignments in the parameters cell"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    assert values == EXPECTED_PARAMETERS[name]
    assert all(isinstance(v, (str, int, float, bool)) for v in values.values())  # JSON types


def test_notebooks_are_thin():
    """No data wrangling in the report notebooks: only library calls and display."""
    for name in ("county_report.ipynb", "province_report.ipynb"):
        nb = nbformat.read(NB / name, as_version=4)
        src = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert not re.search(r"\bpd\.|read_parquet|read_csv|groupby|merge\(", src), name
        assert len(src.splitlines()) < 40


def _imported_modules(name: str) -> set[str]:
    nb = nbformat.read(NB / name, as_version=4)
    out: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                out |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                out |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
    return out


def test_explore_imports_only_public_modules():
    """The explore notebook uses the library's public modules, not report internals or private ones."""
    mods = {m for m in _imported_modules("explore.ipynb") if m.startswith("impact")}
    assert mods, "the explore notebook imports the library"
    assert not [m for m in mods if m.startswith("impact.report")], mods
    assert not [m for m in mods if any(part.startswith("_") for part in m.split("."))], mods


def test_report_notebooks_name_the_module_of_each_job():
    """A reader finds the module behind each cell: county/province builds, render shows."""
    assert {"impact.report.county", "impact.report.render"} <= _imported_modules("county_report.ipynb")
    assert {"impact.report.province", "impact.report.render"} <= _imported_modules("province_report.ipynb")


# --------------------------------------------------------------------------- execution


def _execute(name: str, out: Path, parameters: dict) -> nbformat.NotebookNode:
    """Run with the engine (a fresh kernel of this interpreter over IPC), or plain papermill."""
    from impact.report.engine import execute
    from impact.report.kernel import KernelHandle

    with KernelHandle(cwd=NB) as kernel:
        nb = execute(NB / name, parameters, kernel, output_path=out)
    nbformat.write(nb, out)
    return nb


def _outputs(nb: nbformat.NotebookNode) -> tuple[str, list[dict]]:
    html, streams = [], []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                raise AssertionError(f"{o['ename']}: {o['evalue']}")
            if o.get("output_type") == "stream":
                streams.append(o)
            html.append(o.get("data", {}).get("text/html", ""))
            plain = o.get("data", {}).get("text/plain", "")
            assert "Report(" not in plain and "Section(" not in plain, "a report object printed as text"
    return "\n".join(html), streams


def _data_copy(tmp_path: Path, panel: bool) -> tuple[Path, Path]:
    raw = tmp_path / "raw"
    shutil.copytree(config.GEO_DIR, raw / "geo")
    shutil.copytree(config.REGISTRY_DIR, raw / "registry")
    (raw / "simulated").mkdir()
    for f in config.SIMULATED_DIR.glob("*_simulated.parquet"):
        if panel or not f.name.startswith("county_panel"):
            shutil.copy(f, raw / "simulated" / f.name)
    proc = tmp_path / "processed"
    proc.mkdir()
    return raw, proc


needs_data = pytest.mark.skipif(
    not (config.REGISTRY_DIR / "programs.csv").is_file() or not config.SIMULATED_DIR.is_dir(),
    reason="registry or simulated data missing",
)


@needs_data
@pytest.mark.parametrize(("county", "lang"), [("景谷县", "zh"), ("马关县", "en")])
def test_county_notebook_runs(tmp_path, county, lang):
    raw, proc = _data_copy(tmp_path, panel=False)
    nb = _execute("county_report.ipynb", tmp_path / "out.ipynb",
                  {"county": county, "year": 2024, "lang": lang, "data_dir": str(raw), "processed_dir": str(proc)})
    html, streams = _outputs(nb)
    assert not [s for s in streams if s.get("name") == "stderr" and "Glyph" in s.get("text", "")]
    from impact.geo import resolve_county

    c = resolve_county(county)
    assert c.name in html and c.code in html and c.prefecture in html
    params = nb.metadata["papermill"]["parameters"]
    assert params["county"] == county and params["lang"] == lang
    if county == "景谷县":  # health program with simulated patient records: banner and section
        assert 'class="simulated-banner"' in html and "sec-health" in html
        assert "data:image/png;base64," in html  # map and charts embedded
    else:  # no health program: no health section, no heading for it
        assert "sec-health" not in html and "sec-agriculture" not in html


@needs_data
def test_province_notebook_runs_without_panel(tmp_path):
    raw, proc = _data_copy(tmp_path, panel=False)
    nb = _execute("province_report.ipynb", tmp_path / "out.ipynb",
                  {"year": 2024, "lang": "en", "data_dir": str(raw), "processed_dir": str(proc)})
    html, _ = _outputs(nb)
    assert 'id="ch-1"' in html and 'id="ch-9"' in html  # the 绩效评价 outline, 1. Background … 9. Case studies
    assert "282" in html and "CNY 231 million" in html and "231,000,000" not in html  # totals in millions
    assert "Funds per person reached" in html  # the league table
    assert "No county panel was given" in html  # no panel: no causal estimate, said so


@needs_data
def test_explore_notebook_runs(tmp_path):
    nb = _execute("explore.ipynb", tmp_path / "explore.ipynb", {"lang": "zh"})
    _outputs(nb)
    texts = [o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    m = re.search(r"(\d+) of (\d+) counties have no health program", "".join(texts))
    assert m and int(m.group(2)) == 129
    sites = config.REGISTRY_DIR / "program_sites.csv"
    import pandas as pd

    s = pd.read_csv(sites, dtype=str).merge(pd.read_csv(config.REGISTRY_DIR / "programs.csv", dtype=str),
                                             on="program_id")
    assert int(m.group(1)) == 129 - s.loc[s["sector"] == "health", "county_code"].nunique()


@pytest.fixture(scope="module")
def full_data(tmp_path_factory):
    """A data copy with the county panel, precomputed once (as the batch does)."""
    from impact.report.cache import precompute

    raw, proc = _data_copy(tmp_path_factory.mktemp("full"), panel=True)
    precompute(2024, data_dir=raw, processed_dir=proc)
    return raw, proc


@pytest.mark.slow
@needs_data
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_full_reports_run_with_the_synthetic_control(tmp_path, full_data, lang):
    raw, proc = full_data
    nb = _execute("county_report.ipynb", tmp_path / "county.ipynb",
                  {"county": "镇雄县", "year": 2024, "lang": lang, "data_dir": str(raw), "processed_dir": str(proc)})
    html, _ = _outputs(nb)
    assert "sec-causal" in html and "sec-child_protection" in html and 'class="simulated-banner"' in html
    nb = _execute("province_report.ipynb", tmp_path / "province.ipynb",
                  {"year": 2024, "lang": lang, "data_dir": str(raw), "processed_dir": str(proc)})
    html, _ = _outputs(nb)
    assert 'id="ch-6"' in html and ("项目暴露" in html or "Program exposure" in html)  # designs that exist
    assert "data:image/png;base64," in html  # maps and charts
    json.dumps(nb.metadata["papermill"]["parameters"])
