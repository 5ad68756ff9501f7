"""Deterministic, atomic Parquet and JSON writers for simulated tables.

Files carry key-value metadata ``impact.simulated = "true"``, ``impact.seed``,
``impact.scale`` and ``impact.table``. Nothing written depends on the clock, so the
same seed and scale give byte-identical files. Writes go through
:func:`impact.io.atomic_path` (``allow_raw=True``: the committed small data set lives
in ``data/raw/simulated/``).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from impact.io import atomic_path

#: Parquet writer options shared by every simulated table (fixed so files are reproducible).
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
}

ROW_GROUP_ROWS = 1_000_000


def file_metadata(table: str, seed: int, scale: str) -> dict[bytes, bytes]:
    """Key-value metadata that marks a file as simulated."""
    return {
        b"impact.simulated": b"true",
        b"impact.seed": str(int(seed)).encode(),
        b"impact.scale": str(scale).encode(),
        b"impact.table": table.encode(),
    }


def with_metadata(schema: pa.Schema, meta: dict[bytes, bytes]) -> pa.Schema:
    """``schema`` with ``meta`` as its key-value metadata (no pandas metadata)."""
    return schema.with_metadata(meta)


def write_table(table: pa.Table, path: Path, meta: dict[bytes, bytes]) -> Path:
    """Write one Arrow table to ``path`` atomically with ``meta``."""
    table = table.replace_schema_metadata(meta)
    with atomic_path(path, allow_raw=True) as tmp:
        pq.write_table(table, tmp, row_group_size=ROW_GROUP_ROWS, **PARQUET_OPTIONS)
    return path


@contextmanager
def chunked_writer(path: Path, schema: pa.Schema, meta: dict[bytes, bytes]) -> Iterator[pq.ParquetWriter]:
    """A :class:`pyarrow.parquet.ParquetWriter` writing to a temporary file moved onto ``path``."""
    with atomic_path(path, allow_raw=True) as tmp:
        writer = pq.ParquetWriter(tmp, schema.with_metadata(meta), **PARQUET_OPTIONS)
        try:
            yield writer
        finally:
            writer.close()


def write_json(obj: Any, path: Path) -> Path:
    """Write ``obj`` as UTF-8 JSON (sorted keys, 2-space indent) atomically."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"
    with atomic_path(path, allow_raw=True) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
