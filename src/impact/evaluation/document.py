"""A plain document model: a report as a list of blocks any renderer can draw.

The Word writer (:mod:`impact.report.docx`) renders it now; an HTML renderer can walk the
same blocks. Blocks carry text and data only, never layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd


@dataclass(frozen=True)
class Heading:
    """A heading; ``level`` 1 (一、) to 3."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """Body text; ``style`` ``body``, ``quote`` (verbatim source text) or ``note`` (small print)."""

    text: str
    style: Literal["body", "quote", "note"] = "body"


@dataclass(frozen=True)
class Table:
    """A table: a DataFrame whose column names are the printed headers, with a caption.

    ``widths`` (mm, one per column) fixes the printed column widths where a renderer would
    otherwise guess (the scoring table's long indicator names); they are scaled to the page.
    """

    frame: pd.DataFrame
    caption: str
    note: str = ""
    widths: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Figure:
    """A PNG image with a caption; ``width_cm`` its printed width."""

    png: bytes
    caption: str
    width_cm: float = 15.0


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""


Block = Heading | Paragraph | Table | Figure | PageBreak


@dataclass
class Document:
    """A titled list of blocks; ``lang`` is ``zh`` or ``en``; ``footer`` prints on every page."""

    title: str
    subtitle: str = ""
    lang: str = "zh"
    blocks: list[Block] = field(default_factory=list)
    footer: str = ""

    def add(self, *blocks: Block) -> "Document":
        self.blocks.extend(blocks)
        return self

    def headings(self, level: int | None = None) -> list[str]:
        """Texts of the headings (of one level if given), in order."""
        return [b.text for b in self.blocks if isinstance(b, Heading) and (level is None or b.level == level)]
