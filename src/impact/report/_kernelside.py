"""Code that runs *inside* a warm report kernel (stdlib only at import).

:func:`snapshot` records the process state right after the heavy stack was
pre-imported; :func:`reset` brings the kernel back to that state between two
reports, so a report run on a warm kernel sees what it would see in a fresh
kernel that had just imported the same modules:

- IPython user namespace cleared and the execution counter set back to 1
  (``InteractiveShell.reset(new_session=True)``, what ``%reset -f`` does plus a
  new history session), output cache flushed;
- all matplotlib figures closed, ``rcParams`` back to the rc file's values (undoes ``sns.set_theme``
  and ``plt.rcParams[...] = ...``, also when set by a host running reports in process),
  pandas options at their defaults, numpy error and print
  settings restored, random generators re-seeded from entropy;
- working directory, ``sys.path``, ``os.environ`` and the warnings filters
  restored; warning "once" registries cleared so warnings show again;
- ``IMPACT_REPORT_COLLECT`` (the :mod:`impact.report.collect` side folder) set
  to this report's folder.

What is *not* undone: attributes a notebook sets on already imported library
modules (monkey-patching). Report notebooks call library functions; they do not
patch libraries.
"""

from __future__ import annotations

import gc
import os
import random
import sys
import warnings
from typing import Any

_STATE: dict[str, Any] = {}

#: Environment variable naming the side folder of :mod:`impact.report.collect`.
COLLECT_ENV = "IMPACT_REPORT_COLLECT"


def warm(modules: list[str]) -> None:
    """Import ``modules`` (submodule candidates that are not modules skipped; an import
    error left for the notebook to meet and report), then :func:`snapshot`."""
    import importlib
    import importlib.util

    for m in modules:
        parent = m.rpartition(".")[0]
        try:
            if parent and importlib.util.find_spec(m) is None:
                continue
        except (ImportError, ValueError):
            continue
        try:
            importlib.import_module(m)
        except ImportError:
            pass  # the notebook will report the real error when it imports it
    snapshot()


def snapshot() -> None:
    """Record the state to restore before every report (call once after warm-up)."""
    _STATE.clear()
    _STATE["cwd"] = os.getcwd()
    _STATE["sys_path"] = list(sys.path)
    _STATE["environ"] = dict(os.environ)
    _STATE["filters"] = list(warnings.filters)
    if "numpy" in sys.modules:
        import numpy as np

        _STATE["np_err"] = np.geterr()
        _STATE["np_print"] = np.get_printoptions()
    _STATE["modules"] = frozenset(sys.modules)
    # Move everything imported so far to the permanent generation: the garbage
    # collections of later resets (IPython's reset runs one) then only scan the
    # objects a report created, not the whole pre-imported stack.
    gc.collect()
    gc.freeze()


def _restore_environ(saved: dict[str, str]) -> None:
    for key in list(os.environ):
        if key not in saved:
            del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _default_pandas_options() -> None:
    """Every pandas option at its default, as in a fresh process (what ``pd.reset_option("all")``
    does), setting only the options that differ: resetting all of them runs every option's
    callback, and one of them imports pandas' matplotlib backend and registers its converters
    with matplotlib (0.3 s, and a state a fresh process does not have)."""
    import pandas as pd
    from pandas._config.config import _registered_options  # the option registry (no public listing)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rc/option keys deprecated by the libraries
        warnings.simplefilter("ignore", FutureWarning)
        for key, opt in _registered_options.items():
            if pd.get_option(key) != opt.defval:
                pd.set_option(key, opt.defval)


def reset(collect_dir: str | None = None) -> dict[str, Any]:
    """Reset the kernel to the post-warm-up snapshot; returns a small status dict."""
    if not _STATE:
        raise RuntimeError("impact warm kernel: snapshot() was not called")
    from IPython import get_ipython

    shell = get_ipython()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if shell is not None:
        shell.reset(new_session=True)  # ends with a full garbage collection
    # What survives it (modules and caches a report imported lazily) joins the permanent
    # generation, so the next reset's collection scans only the next report's objects.
    gc.freeze()
    os.chdir(_STATE["cwd"])
    sys.path[:] = _STATE["sys_path"]
    _restore_environ(_STATE["environ"])
    warnings.filters[:] = _STATE["filters"]
    warnings.onceregistry.clear()
    # Adding (and removing) a filter bumps the filters version, which
    # invalidates every module's ``__warningregistry__`` ("default" action).
    warnings.filterwarnings("ignore", message="impact-warm-reset-sentinel")
    warnings.filters[:] = _STATE["filters"]
    if "matplotlib" in sys.modules:
        # the rc file's values, as a fresh kernel sees them (the inline backend overrides none;
        # the backend itself is kept): whatever a report, or the host process running reports
        # in process, set before (``sns.set_theme``, ``plt.rcParams[...] = ...``, a font)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # rc/option keys deprecated by the libraries
            warnings.simplefilter("ignore", FutureWarning)
            sys.modules["matplotlib"].rc_file_defaults()
    if "pandas" in sys.modules:
        _default_pandas_options()
    if "np_err" in _STATE:
        import numpy as np

        np.seterr(**_STATE["np_err"])
        np.set_printoptions(**_STATE["np_print"])
        np.random.seed()
    random.seed()
    if collect_dir is None:
        os.environ.pop(COLLECT_ENV, None)
    else:
        os.environ[COLLECT_ENV] = collect_dir
    return {"new_modules": len(set(sys.modules) - _STATE["modules"])}
