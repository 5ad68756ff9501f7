"""Named, independent random streams.

Every table draws from its own :class:`numpy.random.Generator` (PCG64) whose
:class:`numpy.random.SeedSequence` is ``SeedSequence(seed, spawn_key=(key(name), *sub))``,
where ``key(name)`` is a stable 32-bit hash (CRC-32) of the stream's name. Streams are
therefore independent of each other and of the order in which tables are generated:
adding a table, or changing the size of one table, never changes another.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """Stable 32-bit key of a stream name (CRC-32 of its UTF-8 bytes)."""
    return zlib.crc32(name.encode("utf-8")) & 0xFFFFFFFF


def stream(seed: int, name: str, *sub: int) -> np.random.Generator:
    """The generator for stream ``name`` (and optional integer sub-stream path) of ``seed``."""
    seq = np.random.SeedSequence(int(seed), spawn_key=(stream_key(name), *(int(s) for s in sub)))
    return np.random.Generator(np.random.PCG64(seq))
