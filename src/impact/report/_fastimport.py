"""Import the notebook stack (nbformat, nbclient, papermill, nbconvert) fast.

``nbformat`` imports ``jsonschema`` at import time, and ``jsonschema`` imports
the optional ``rfc3987_syntax`` package when it is installed to check the
``iri`` string format. That module builds a Lark grammar at import: about
1.7-2.75 s on the project machine (``python -X importtime``), paid by every
process that touches a notebook. The notebook JSON schema uses no ``iri``
format, so the runner hides that one module while ``jsonschema`` is first
imported (a ``None`` entry in ``sys.modules`` makes its import raise
``ImportError``, which ``jsonschema`` handles as "not installed") and removes the
block right after, so nothing else in the process is affected.
"""

from __future__ import annotations

import sys

_BLOCKED = ("rfc3987_syntax",)


def import_notebook_stack() -> None:
    """Import jsonschema/nbformat without the slow optional IRI grammar."""
    if "jsonschema" in sys.modules:
        import nbformat  # noqa: F401

        return
    added = [name for name in _BLOCKED if name not in sys.modules]
    for name in added:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import jsonschema  # noqa: F401
        import nbformat  # noqa: F401
    finally:
        for name in added:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
