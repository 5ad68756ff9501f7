"""Project paths, derived from the package location; no side effects on import.

The project root is the folder holding ``pyproject.toml`` above this file (the
package is installed in editable mode by ``make``). ``IMPACT_ROOT`` overrides it,
for example when the package is installed into a site-packages folder and run
against a data checkout elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _find_root() -> Path:
    env = os.environ.get("IMPACT_ROOT")
    if env:
        return Path(env).resolve()
    for parent in PACKAGE_DIR.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "data" / "raw").is_dir():
            return parent
    return Path.cwd().resolve()


ROOT: Path = _find_root()
DATA_RAW: Path = ROOT / "data" / "raw"
DATA_PROCESSED: Path = ROOT / "data" / "processed"
REPORTS: Path = ROOT / "reports"
NOTEBOOKS: Path = ROOT / "notebooks"

SOURCE_DIR: Path = DATA_RAW / "source"
ARTICLE: Path = SOURCE_DIR / "article_000_8d3988ee2bc6a3bb.txt"
REGISTRY_DIR: Path = DATA_RAW / "registry"
GEO_DIR: Path = DATA_RAW / "geo"
SIMULATED_DIR: Path = DATA_RAW / "simulated"
RAW_MANIFEST: Path = DATA_RAW / "MANIFEST.sha256"

DUCKDB_FILE: Path = DATA_PROCESSED / "impact.duckdb"

#: Default seed of the committed simulated data set.
DEFAULT_SEED: int = 20240712
