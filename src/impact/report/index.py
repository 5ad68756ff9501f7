"""``reports/<year>/index.html``: every county with its headline figures and a link.

Built from the state files the batch writes (``reports/<year>/.state/*.json``):
one row per county of Yunnan (all 129 when :func:`impact.geo.county_table` is
available, else the counties with a state file), its prefecture, the headline
figures its report registered (:func:`impact.report.collect.headline`), a link
to the Chinese and the English report when made, and its status (made, failed,
not made). The table sorts by any column on a click (a few lines of inline
JavaScript, no external file); the province report is linked at the top. Every
text from data is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from impact.report.jobs import staged, year_dir

_SORT_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-sort'), y = b.cells[col].getAttribute('data-sort');
      var nx = parseFloat(x), ny = parseFloat(y), r;
      if (x === '' && y === '') r = 0; else if (x === '') r = 1; else if (y === '') r = -1;
      else if (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y) r = nx - ny;
      else r = x.localeCompare(y, 'zh');
      return asc ? r : -r;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""

_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { cursor: pointer; background: #f3f3f3; position: sticky; top: 0; user-select: none; }
th[aria-sort=ascending]::after { content: " \\25B2"; } th[aria-sort=descending]::after { content: " \\25BC"; }
.failed { color: #b00020; } .missing { color: #888; }
@media print { th { position: static; } a { color: inherit; text-decoration: none; } }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _fmt(value: Any, key: str = "") -> tuple[str, str]:
    """(shown text, sort key) of a headline value; money (``*_yuan``) in 元/万元/亿元 (:func:`impact.fmt.money`),
    p-values with three decimals, counts with thousands separators."""
    from impact import fmt

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—", ""
    if key.endswith("_yuan") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt.money(value), repr(float(value))
    if key.endswith("_p") and isinstance(value, float):
        return fmt.pvalue(value), repr(value)
    if isinstance(value, bool):
        return ("是 yes" if value else "否 no"), ("1" if value else "0")
    if isinstance(value, int):
        return f"{value:,}", str(value)
    if isinstance(value, float):
        shown = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}"
        return shown, repr(value)
    return str(value), str(value)


def _load_states(ydir: Path) -> list[dict[str, Any]]:
    states = []
    for p in sorted((ydir / ".state").glob("*.json")):
        try:
            states.append(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            continue
    return states


def _href(ydir: Path, state: dict[str, Any]) -> str | None:
    if state.get("status") != "ok":
        return None
    folder = "counties" if state.get("kind") == "county" else "province"
    name = state.get("outputs", {}).get("html")
    if not name or not (ydir / folder / name).exists():
        return None
    return f"{folder}/{quote(name)}"


def _file_links(ydir: Path, state: dict[str, Any] | None, lang: str) -> list[str]:
    """Links to a made report's workbook and notebook (``[]`` when not made)."""
    if not state or state.get("status") != "ok":
        return []
    outs = state.get("outputs", {})
    links = []
    for kind, label in (("xlsx", "Excel"), ("ipynb", "Notebook")):
        name = outs.get(kind)
        if name and (ydir / "counties" / name).exists():
            links.append(f'<a href="counties/{_e(quote(name))}">{_e(label)}{"" if lang == "zh" else " (en)"}</a>')
    return links


def _all_counties() -> list[dict[str, str]]:
    from impact.geo import county_table

    tab = county_table()
    return [{"code": str(r.county_code), "name": str(r.name), "prefecture": str(r.prefecture)}
            for r in tab.itertuples()]


def render_index(year: int, root: str | os.PathLike[str] | None = None) -> str:
    """The index page of ``year`` as HTML text."""
    ydir = year_dir(year, root)
    states = _load_states(ydir)
    county: dict[str, dict[str, dict[str, Any]]] = {}
    province: dict[str, dict[str, Any]] = {}
    for s in states:
        if s.get("kind") == "county":
            county.setdefault(str(s.get("key")), {})[s.get("lang", "zh")] = s
        elif s.get("kind") == "province":
            province[s.get("lang", "zh")] = s
    rows = {c["code"]: c for c in _all_counties()}
    for code, by_lang in county.items():
        meta = (by_lang.get("zh") or by_lang.get("en") or {}).get("meta", {})
        rows.setdefault(code, {"code": code, "name": meta.get("name", code), "prefecture": meta.get("prefecture", "")})
    # headline columns: union over counties, in first-seen order, labelled from the zh report when present
    columns: dict[str, str] = {}
    for code in sorted(county):
        for lang in ("zh", "en"):
            for key, h in (county[code].get(lang, {}).get("headlines") or {}).items():
                if key not in columns:
                    unit = f" ({h['unit']})" if h.get("unit") else ""
                    columns[key] = f"{h.get('label') or key}{unit}"
    head = ["代码 code", "县（市、区） county", "州（市） prefecture", *columns.values(), "English",
            "工作簿与笔记本 workbook and notebook", "状态 status"]
    out = [
        "<!DOCTYPE html>", '<html lang="zh">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(f'云南省 {year} 年帮扶项目影响评估报告 / Impact reports {year}')}</title>",
        f"<style>{_CSS}</style>", "</head>", "<body>",
        f"<h1>{_e(f'{year} 年县级影响评估报告')} / <span lang=\"en\">{_e(f'County impact reports {year}')}</span></h1>",
    ]
    plinks = []
    for lang, label in (("zh", "省级年度评估报告"), ("en", "Province annual report")):
        s = province.get(lang)
        if s:
            href = _href(ydir, s)
            plinks.append(f'<a href="{_e(href)}" lang="{lang}">{_e(label)}</a>' if href
                          else f'<span class="failed" lang="{lang}">{_e(label)}: {"失败" if lang == "zh" else "failed"}</span>')
    out.append("<p>" + (" · ".join(plinks) if plinks else
                        '省级报告尚未生成 / <span lang="en">province report not made yet</span>') + "</p>")
    n_ok = sum(1 for c in county.values() if _href(ydir, c.get("zh", {})))
    n_failed = sum(1 for c in county.values() if any(s.get("status") == "failed" for s in c.values()))
    counts = (f"{_e(f'已生成 {n_ok} 份，失败 {n_failed} 份，共 {len(rows)} 个县（市、区）')} / "
              f'<span lang="en">{_e(f"{n_ok} made, {n_failed} failed, {len(rows)} counties.")}</span> '
              '点击表头排序 / <span lang="en">click a column heading to sort</span>')
    out.append(f"<p>{counts}</p>")
    out.append('<table class="sortable"><thead><tr>' + "".join(f"<th>{_bilingual_head(h)}</th>" for h in head)
               + "</tr></thead><tbody>")
    for code in sorted(rows):
        r = rows[code]
        by_lang = county.get(code, {})
        zh, en = by_lang.get("zh"), by_lang.get("en")
        main = zh or en
        href = _href(ydir, zh) if zh else None
        name = f'<a href="{_e(href)}">{_e(r["name"])}</a>' if href else _e(r["name"])
        cells = [f'<td data-sort="{_e(code)}">{_e(code)}</td>', f'<td data-sort="{_e(r["name"])}">{name}</td>',
                 f'<td data-sort="{_e(r["prefecture"])}">{_e(r["prefecture"])}</td>']
        hl = (main or {}).get("headlines") or {}
        for key in columns:
            shown, sort = _fmt((hl.get(key) or {}).get("value"), key)
            cells.append(f'<td class="num" data-sort="{_e(sort)}">{_e(shown)}</td>')
        en_href = _href(ydir, en) if en else None
        cells.append(f'<td data-sort="{1 if en_href else 0}">'
                     + (f'<a href="{_e(en_href)}">English</a>' if en_href else "") + "</td>")
        files = _file_links(ydir, zh, "zh") + _file_links(ydir, en, "en")
        cells.append(f'<td data-sort="{len(files)}">' + " · ".join(files) + "</td>")
        statuses = {s.get("status") for s in by_lang.values()}
        if "failed" in statuses:
            err = "; ".join(f"{lang}: {s.get('error', '')}" for lang, s in by_lang.items() if s.get("status") == "failed")
            status = f'<td class="failed" data-sort="failed" title="{_e(err)}">失败 failed</td>'
        elif main and main.get("status") == "ok" and (href or (en and _href(ydir, en))):
            status = '<td data-sort="ok">已生成 made</td>'
        else:
            status = '<td class="missing" data-sort="missing">未生成 not made</td>'
        cells.append(status)
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody></table>", f"<script>{_SORT_JS}</script>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_index(year: int, root: str | os.PathLike[str] | None = None) -> Path:
    """Write ``reports/<year>/index.html`` atomically; returns its path."""
    path = year_dir(year, root) / "index.html"
    text = render_index(year, root)
    with staged([path]) as (tmp,):
        tmp.write_text(text, encoding="utf-8")
    return path


def _bilingual_head(head: str) -> str:
    """A column heading ``"工作簿与笔记本 workbook and notebook"`` with its English part marked
    ``lang="en"`` (the index is a Chinese page carrying English beside)."""
    import re

    m = re.match(r"^(.*[\u3400-\u9fff）)]\S*)\s+([A-Za-z][^\u3400-\u9fff]*)$", head)
    if not m:
        return _e(head)
    return f'{_e(m.group(1))} <span lang="en">{_e(m.group(2))}</span>'
