"""Print a report's HTML page to PDF with headless Chromium.

Uses Debian's ``chromium`` (``apt-get install chromium``) or any Chrome/Chromium
on ``PATH``; :func:`chromium_path` returns ``None`` when none is installed and
:func:`html_to_pdf` then raises :class:`impact.errors.ReportError` saying how
to install it. The page's print stylesheet applies (A4, no prompts).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from impact.errors import ReportError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Flags for a quiet, sandbox-free, network-free headless run (CI containers run as root).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def chromium_path() -> str | None:
    """Path of a Chromium/Chrome executable (``IMPACT_CHROMIUM`` overrides), or ``None``."""
    env = os.environ.get("IMPACT_CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The Chromium executable, or a :class:`ReportError` explaining how to get one."""
    path = chromium_path()
    if path is None:
        raise ReportError(
            "--format pdf needs headless Chromium, which is not installed; install it "
            "(Debian/Ubuntu: sudo apt-get install chromium) or set IMPACT_CHROMIUM to a Chrome/Chromium "
            "executable / PDF 输出需要 Chromium：请安装 chromium 或设置 IMPACT_CHROMIUM"
        )
    return path


def html_to_pdf(html: str, pdf_path: str | os.PathLike[str], *, timeout: float = 120) -> Path:
    """Print HTML text ``html`` to ``pdf_path`` (written in place; callers stage it)."""
    exe = require_chromium()
    pdf_path = Path(pdf_path).resolve()
    with tempfile.TemporaryDirectory(prefix="impact-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        cmd = [exe, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
               f"--print-to-pdf={out}", page.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ReportError(f"Chromium did not print the PDF within {timeout:.0f} s") from None
        if not out.exists() or out.stat().st_size == 0:
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            raise ReportError(f"Chromium failed to print the PDF (exit {proc.returncode}): {' | '.join(tail)}")
        shutil.copyfile(out, pdf_path)
    return pdf_path
