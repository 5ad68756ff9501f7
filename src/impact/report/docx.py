"""Word (.docx) rendering of a report document model, laid out like a Chinese official report.

Layout (after GB/T 9704-2012 《党政机关公文格式》, the common model of official reports):
A4; margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right; title 22 pt (二号) centred;
first-level headings 16 pt (三号) 黑体; second-level 16 pt 楷体; body 16 pt 仿宋 with a
two-character first-line indent and 28 pt exact line spacing; tables 10.5 pt (五号) 宋体 with
the caption above and the header row repeated on each page; figures centred with the caption
below; the page number centred in the footer as "— n —".

Fonts are the ones every Chinese Windows installation ships (宋体 SimSun, 黑体 SimHei,
仿宋 FangSong, 楷体 KaiTi); offices with 方正小标宋简体 and 仿宋_GB2312 pass ``fonts=OFFICIAL_FONTS``.
East-Asian text gets its font through ``w:rFonts/@w:eastAsia`` on the styles and on every
run (Word otherwise falls back to the theme's East-Asian font); Latin text and digits use
Times New Roman.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from impact.evaluation.document import Document, Figure, Heading, PageBreak, Paragraph, Table

#: Fonts shipped with Chinese Windows (role -> East-Asian font name).
WINDOWS_FONTS: dict[str, str] = {"title": "宋体", "heading1": "黑体", "heading2": "楷体", "body": "仿宋",
                                 "quote": "楷体", "table": "宋体", "caption": "黑体", "latin": "Times New Roman"}
#: The fonts GB/T 9704 names, installed in most government offices (not shipped with Windows).
OFFICIAL_FONTS: dict[str, str] = {**WINDOWS_FONTS, "title": "方正小标宋简体", "heading2": "楷体_GB2312",
                                  "body": "仿宋_GB2312", "quote": "楷体_GB2312"}
#: Font set name (``impact report --fonts``) -> fonts.
FONT_SETS: dict[str, dict[str, str]] = {"windows": WINDOWS_FONTS, "official": OFFICIAL_FONTS}


def font_set(name: str) -> dict[str, str]:
    """The fonts of set ``name`` (:data:`FONT_SETS`: ``windows`` or ``official``)."""
    from impact.results import check_option

    check_option("fonts", name, tuple(FONT_SETS))
    return FONT_SETS[name]


#: Sizes in points: 二号 22, 三号 16, 四号 14, 小四 12, 五号 10.5.
SIZES: dict[str, float] = {"title": 22, "subtitle": 14, "heading1": 16, "heading2": 16, "heading3": 16, "body": 16,
                           "quote": 14, "note": 12, "table": 10.5, "caption": 12, "footer": 14}


def _set_fonts(rpr_owner: Any, east_asia: str, latin: str) -> None:
    """Set Latin and East-Asian fonts on a style's or run's ``w:rPr`` (theme fonts removed)."""
    from docx.oxml.ns import qn

    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")


def _style(doc: Any, name: str, font: str, size: float, fonts: Mapping[str, str], *, bold: bool = False,
           align: Any = None, indent: bool = False, exact: float | None = None, before: float = 0,
           after: float = 0) -> Any:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt, RGBColor

    st = doc.styles[name]
    st.font.size = Pt(size)
    st.font.bold = bold
    st.font.italic = False
    st.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(st.element, font, fonts["latin"])
    pf = st.paragraph_format
    if align is not None:
        pf.alignment = align
    pf.first_line_indent = Pt(size * 2) if indent else Pt(0)
    if exact is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(exact)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    return st


def _setup(doc: Any, fonts: Mapping[str, str]) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    normal = _style(doc, "Normal", fonts["body"], SIZES["body"], fonts, indent=True, exact=28,
                    align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    lang = normal.element.get_or_add_rPr().makeelement(qn("w:lang"), {qn("w:val"): "en-US",
                                                                       qn("w:eastAsia"): "zh-CN"})
    normal.element.get_or_add_rPr().append(lang)
    _style(doc, "Title", fonts["title"], SIZES["title"], fonts, align=WD_ALIGN_PARAGRAPH.CENTER, exact=36, after=6)
    _style(doc, "Subtitle", fonts["quote"], SIZES["subtitle"], fonts, align=WD_ALIGN_PARAGRAPH.CENTER, after=18)
    _style(doc, "Heading 1", fonts["heading1"], SIZES["heading1"], fonts, exact=28, before=12, after=6)
    _style(doc, "Heading 2", fonts["heading2"], SIZES["heading2"], fonts, exact=28, before=6, after=3)
    _style(doc, "Heading 3", fonts["body"], SIZES["heading3"], fonts, bold=True, exact=28)
    _style(doc, "Caption", fonts["caption"], SIZES["caption"], fonts, align=WD_ALIGN_PARAGRAPH.CENTER, before=6,
           after=6)
    for name, font, size in (("Quote", fonts["quote"], SIZES["quote"]), ("Note", fonts["body"], SIZES["note"]),
                             ("Table Text", fonts["table"], SIZES["table"])):
        if name not in [s.name for s in doc.styles]:
            doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH).base_style = doc.styles["Normal"]
        _style(doc, name, font, size, fonts, indent=name != "Table Text", exact=None if name == "Table Text" else 24)
    doc.styles["Quote"].paragraph_format.left_indent = Mm(8)
    doc.styles["Table Text"].paragraph_format.line_spacing = 1.0
    doc.styles["Table Text"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    doc.styles["Note"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _page_number_footer(sec, fonts)


def _field(paragraph: Any, instr: str) -> None:
    """Insert a complex field (``PAGE``) into a paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, instr), ("separate", None), ("text", "1"), ("end", None)):
        run = paragraph.add_run()
        if kind in ("begin", "separate", "end"):
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        elif kind == "text":
            run.text = text
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
            run._r.append(el)


def _page_number_footer(section: Any, fonts: Mapping[str, str]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = None
    p.add_run("— ")
    _field(p, "PAGE")
    p.add_run(" —")
    for r in p.runs:
        r.font.size = Pt(SIZES["footer"])
        _set_fonts(r._r, fonts["table"], fonts["latin"])


#: A run of Latin text long enough that justifying its line spreads the Chinese characters apart.
_LONG_LATIN = re.compile(r"[\x21-\x7e]{12,}")


def _para(doc: Any, text: str, style: str, fonts: Mapping[str, str], font_role: str) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p = doc.add_paragraph(style=style)
    if style == "Normal" and _LONG_LATIN.search(text):  # justifying around long code names spreads CJK apart
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    run = p.add_run(text)
    _set_fonts(run._r, fonts[font_role], fonts["latin"])
    return p


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


#: Printable width of the page (A4 minus the margins), in mm.
TEXT_WIDTH_MM = 210 - 28 - 26


#: Width of one half-width character of table text (10.5 pt 宋体 / Times), in mm, with the cell padding.
CHAR_MM = 10.5 * 0.3528 * 0.5
#: Left and right margin inside a table cell, in mm (Word's default is 1.9 mm; narrower keeps
#: two Chinese characters in a 10 mm column).
CELL_MARGIN_MM = 1.0
CELL_PADDING_MM = 2 * CELL_MARGIN_MM + 0.8


def column_widths(df: Any, total_mm: float = TEXT_WIDTH_MM) -> list[float]:
    """Column widths in mm that never break a number or a short word.

    Widths are counted in half-width characters (a Chinese character counts 2). Each column
    first gets what its longest unbreakable piece needs: a number, a Latin word, or a
    whole cell of at most 3 Chinese characters (``未评分``), half its header (headers
    wrap onto two lines), and 5 Chinese characters for columns of longer text. What is left of ``total_mm`` goes to the columns in proportion
    to how much longer their typical (80th percentile) cell is. When even the minimums do
    not fit, all are scaled down alike.
    """
    import math
    import re

    def width(s: str) -> float:
        return sum(2.0 if ord(ch) > 0x2E80 else 1.0 for ch in s)

    def unbreakable(s: str) -> float:
        if width(s) <= 6:
            return width(s)
        tokens = re.findall(r"[^\s\u2e80-\uffff]+", s)
        # numbers never break; a long name (satisfaction_survey) may, beyond 12 characters
        return max([width(t) if re.fullmatch(r"[-+−]?[\d.,%]+", t) else min(width(t), 12.0) for t in tokens] + [2.0])

    hard, need, extra = [], [], []
    for col in df.columns:
        cells = [str(v) for v in df[col]]
        head = width(str(col))
        typical = sorted(width(c) for c in cells)[int(0.8 * (len(cells) - 1))] if cells else 0.0
        # a header wraps onto two lines, but never inside an English word ("Weight", bold: 15 % wider)
        h = max([unbreakable(c) for c in cells] + [math.ceil(head / 2 / 2) * 2, 1.15 * unbreakable(str(col)), 4.0])
        m = max(h, min(typical, 10.0))
        hard.append(h * CHAR_MM + CELL_PADDING_MM)
        need.append(m * CHAR_MM + CELL_PADDING_MM)
        extra.append(max(min(typical, 30.0) - m, 0.0))
    if sum(hard) >= total_mm:  # even the numbers do not fit: scale alike
        return [w * total_mm / sum(hard) for w in hard]
    if sum(need) > total_mm:  # numbers keep their width; text columns share the rest
        soft = [n - h for n, h in zip(need, hard)]
        return [h + (total_mm - sum(hard)) * x / sum(soft) for h, x in zip(hard, soft)]
    spare = total_mm - sum(need)
    if sum(extra) == 0:
        return [w + spare / len(need) for w in need]
    return [w + spare * e / sum(extra) for w, e in zip(need, extra)]


def _cell_margins(tab: Any, mm: float) -> None:
    """Left and right cell margins of a whole table (``w:tblCellMar``), in mm."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tblpr = tab._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(mm / 25.4 * 1440)))  # twentieths of a point
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tblpr.append(mar)


def _cant_split(row: Any) -> None:
    """Keep a table row on one page (``w:cantSplit``)."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def table_widths(block: Table, total_mm: float = TEXT_WIDTH_MM) -> list[float]:
    """Column widths in mm: the block's own ``widths`` scaled to ``total_mm``, else
    :func:`column_widths` from the cells."""
    if block.widths is not None:
        if len(block.widths) != len(block.frame.columns):
            raise ValueError(f"table {block.caption!r}: {len(block.widths)} widths for "
                             f"{len(block.frame.columns)} columns")
        return [w * total_mm / sum(block.widths) for w in block.widths]
    return column_widths(block.frame, total_mm)


def _table(doc: Any, block: Table, fonts: Mapping[str, str]) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Mm

    cap = _para(doc, block.caption, "Caption", fonts, "caption")
    cap.paragraph_format.keep_with_next = True  # the caption stays above its table
    df = block.frame
    tab = doc.add_table(rows=1, cols=len(df.columns))
    tab.style = doc.styles["Table Grid"]
    tab.alignment = WD_TABLE_ALIGNMENT.CENTER
    _cell_margins(tab, CELL_MARGIN_MM)
    for j, col in enumerate(df.columns):
        cell = tab.rows[0].cells[j]
        cell.paragraphs[0].style = doc.styles["Table Text"]
        run = cell.paragraphs[0].add_run(str(col))
        run.bold = True
        _set_fonts(run._r, fonts["table"], fonts["latin"])
    _repeat_header(tab.rows[0])
    for rec in df.itertuples(index=False):
        row = tab.add_row()
        _cant_split(row)
        cells = row.cells
        for j, v in enumerate(rec):
            cells[j].paragraphs[0].style = doc.styles["Table Text"]
            run = cells[j].paragraphs[0].add_run("" if v is None else str(v))
            _set_fonts(run._r, fonts["table"], fonts["latin"])
    tab.autofit = False
    for j, w in enumerate(table_widths(block)):
        tab.columns[j].width = Mm(w)  # w:gridCol, which LibreOffice reads
        for cell in tab.columns[j].cells:  # w:tcW, which Word reads
            cell.width = Mm(w)
    if block.note:
        _para(doc, block.note, "Note", fonts, "body")


def render_docx(document: Document, out: str | Path, *, fonts: Mapping[str, str] | None = None) -> Path:
    """Write a :class:`~impact.evaluation.document.Document` as ``.docx`` (atomically).

    Parameters
    ----------
    document
        Title, subtitle, and blocks (headings, paragraphs, tables, figures, page breaks).
    out
        Target path.
    fonts
        Role -> font name (keys of :data:`WINDOWS_FONTS`); default :data:`WINDOWS_FONTS`.
    """
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    from impact.io import atomic_path

    fonts = {**WINDOWS_FONTS, **(fonts or {})}
    d = docx.Document()
    _setup(d, fonts)
    d.core_properties.title = document.title
    d.core_properties.language = "zh-CN" if document.lang == "zh" else "en-GB"
    _para(d, document.title, "Title", fonts, "title")
    if document.subtitle:
        _para(d, document.subtitle, "Subtitle", fonts, "quote")
    for b in document.blocks:
        if isinstance(b, Heading):
            role = "heading1" if b.level == 1 else "heading2" if b.level == 2 else "body"
            _para(d, b.text, f"Heading {min(b.level, 3)}", fonts, role)
        elif isinstance(b, Paragraph):
            style, role = {"body": ("Normal", "body"), "quote": ("Quote", "quote"), "note": ("Note", "body")}[b.style]
            _para(d, b.text, style, fonts, role)
        elif isinstance(b, Table):
            _table(d, b, fonts)
        elif isinstance(b, Figure):
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.first_line_indent = None
            p.paragraph_format.line_spacing = 1.0
            p.paragraph_format.keep_with_next = True  # the figure stays above its caption
            p.add_run().add_picture(io.BytesIO(b.png), width=Cm(b.width_cm))
            _para(d, b.caption, "Caption", fonts, "caption")
        elif isinstance(b, PageBreak):
            d.add_page_break()
    out = Path(out)
    with atomic_path(out) as tmp:
        d.save(str(tmp))
    return out


def write_evaluation_docx(scope: str, year: int = 2024, lang: str = "zh", out: str | Path | None = None, *,
                          sheet: str | Path | None = None, satisfaction: Any = None, estimates: Any = None,
                          system: str | Path | None = None, fonts: Mapping[str, str] | None = None) -> Path:
    """Score the indicator system and write the 绩效评价 report as Word.

    Parameters
    ----------
    scope
        ``"province"``, or a county (code or name, e.g. ``"景谷县"`` or ``"530824"``).
    year
        Report year.
    lang
        ``"zh"`` (绩效评价 outline) or ``"en"`` (framed by the OECD DAC criteria).
    out
        Target ``.docx``; default ``reports/evaluation/<scope>_<year>_<lang>.docx``.
    sheet, satisfaction, estimates, system
        The evaluator's filled sheet, a satisfaction survey (table or file), causal estimates
        for 主要成效 (tidy table), another indicator system file.

    Returns
    -------
    The path written.
    """
    from impact import config
    from impact.evaluation.data import load_data
    from impact.evaluation.evaluate import evaluate
    from impact.evaluation.outline import build_outline
    from impact.results import check_option

    check_option("lang", lang, ("zh", "en"))
    data = load_data(satisfaction=satisfaction)
    if scope == "province":
        ev = evaluate("province", year, system=system, sheet=sheet, data=data)
    else:
        ev = evaluate("county", year, county=scope, system=system, sheet=sheet, data=data)
    doc = build_outline(ev, data, lang=lang, estimates=estimates)
    name = "province" if ev.county is None else ev.county
    out = Path(out) if out is not None else config.REPORTS / "evaluation" / f"{name}_{year}_{lang}.docx"
    return render_docx(doc, out, fonts=fonts)
