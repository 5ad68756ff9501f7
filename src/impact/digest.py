"""One content hash: what decides whether a derived file is current.

Every derived artefact (the processed tables of :mod:`impact.build`, the shared
report tables of :mod:`impact.report.cache`, each report of
:mod:`impact.report.batch`) records the hash of what it was made from and is
remade when that hash changes. The hash has three parts, all computed here:

- **inputs**: the bytes of every input file (:func:`file_sha256`, :func:`tree_digest`);
- **code**: every source file of the :mod:`impact` package (``*.py`` and the
  templates, message catalogues and settings shipped with it) and the notebooks
  the reports run (:func:`code_digest`);
- **library versions**: the packages whose version changes what a table or a report
  holds (:data:`HASHED_LIBRARIES`), and the Python version.

So an upgrade of pyfixest, an edited estimator, a changed notebook or a changed
input file each make every dependent cache stale; nothing is reused on a partial
match.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from impact import config

__all__ = ["HASHED_LIBRARIES", "code_digest", "combine", "file_sha256", "files_digest", "tree_digest"]

#: Libraries whose version changes what a table, figure or report holds.
HASHED_LIBRARIES: tuple[str, ...] = (
    "pandas", "numpy", "scipy", "duckdb", "pyarrow", "geopandas", "shapely", "statsmodels", "pyfixest",
    "matplotlib", "seaborn", "papermill", "nbconvert", "ipykernel",
)
#: Package files hashed as code: sources and what ships with them (templates, catalogues, settings).
CODE_SUFFIXES: tuple[str, ...] = (".py", ".j2", ".css", ".json", ".toml", ".yaml", ".yml", ".csv", ".html")
#: Derived database files left out of folder hashes (rebuilt from the Parquet files, and their
#: bytes change when they are merely opened).
DERIVED_SUFFIXES: tuple[str, ...] = (".duckdb", ".duckdb.wal", ".wal")


#: Hashes already computed in this process, keyed by the file's identity and change stamps.
_SHA_MEMO: dict[tuple[int, int, int, int, int], str] = {}


def file_stamp(path: str | os.PathLike[str]) -> tuple[int, int, int, int, int] | None:
    """The file's identity and change stamps: device, inode, size, modification and change
    times in nanoseconds (``None`` when it does not exist). Any write, in place or by rename
    over it, changes the stamp: the key of every per-process memo of a file's contents."""
    try:
        return _stamp_of(os.stat(path))
    except OSError:
        return None


def _stamp_of(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_sha256(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of the bytes of file ``path`` (read in ``chunk``-byte blocks).

    Remembered per process while the file is unchanged: keyed by device, inode, size and
    the modification and change times in nanoseconds, so any write (in place or by
    rename over it) hashes the bytes again. A warm report kernel thus reads each input
    and code file once per batch instead of once per report.
    """
    st = os.stat(path)  # an unreadable path raises its own OSError (missing, symlink loop, ...)
    key = _stamp_of(st)
    known = _SHA_MEMO.get(key)
    if known is not None:
        return known
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    _SHA_MEMO[key] = digest = h.hexdigest()
    return digest


def combine(parts: Iterable[str | bytes]) -> str:
    """Hex SHA-256 of ``parts`` in order, each followed by a NUL byte (so ``("ab", "c")`` ≠ ``("a", "bc")``)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()


def files_digest(files: Mapping[str, str | os.PathLike[str]]) -> str:
    """Hash of named files: ``name, sha256`` pairs sorted by name."""
    return combine(x for name in sorted(files) for x in (name, file_sha256(files[name])))


def tree_digest(folder: str | os.PathLike[str] | None, *, exclude: Sequence[str] = ("report_cache",)) -> str:
    """Hash of the relative paths and bytes of the files under ``folder``.

    Hidden files and folders (atomic-write temporaries, ``.git``), ``__pycache__``,
    DuckDB files (:data:`DERIVED_SUFFIXES`) and top-level folders named in ``exclude``
    are left out. A single file hashes as its bytes; a missing folder hashes as empty.
    """
    parts: list[str] = []
    if folder:
        root = Path(folder)
        if root.is_file():
            parts.append(file_sha256(root))
        elif root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                rel_dir = Path(dirpath).relative_to(root)
                dirnames[:] = sorted(
                    d for d in dirnames
                    if not d.startswith(".") and d != "__pycache__" and not (rel_dir == Path(".") and d in exclude)
                )
                for name in sorted(filenames):
                    if name.startswith(".") or name.endswith(DERIVED_SUFFIXES):
                        continue
                    parts += [str(rel_dir / name), file_sha256(Path(dirpath) / name)]
    return combine(parts)


def library_versions() -> dict[str, str]:
    """``{library: version}`` of :data:`HASHED_LIBRARIES` (``"-"`` when not installed) and Python.

    Read once per process (the modules a process has imported do not change version under it).
    """
    return dict(_library_versions())


@functools.cache
def _library_versions() -> dict[str, str]:
    out = {}
    for lib in HASHED_LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = "-"
    out["python"] = ".".join(map(str, sys.version_info[:3]))
    return out


def code_digest() -> str:
    """Hash of the :mod:`impact` package's files (:data:`CODE_SUFFIXES`), the report notebooks
    and :func:`library_versions`."""
    pkg = config.PACKAGE_DIR
    files = sorted(p for p in pkg.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix in CODE_SUFFIXES)
    parts: list[str] = []
    for p in files:
        parts += [p.relative_to(pkg).as_posix(), file_sha256(p)]
    notebooks = Path(config.NOTEBOOKS)
    if notebooks.is_dir():
        for p in sorted(notebooks.glob("*.ipynb")):
            parts += [f"notebooks/{p.name}", file_sha256(p)]
    parts += [f"{k}={v}" for k, v in library_versions().items()]
    return combine(parts)
