"""An IPython shell in this process that records cell outputs as nbformat outputs.

:class:`ReportShell` is an :class:`IPython.core.interactiveshell.InteractiveShell`
whose display publisher, display hook, traceback printer and (while a cell runs)
``sys.stdout``/``sys.stderr`` append notebook outputs to the running cell instead
of sending IOPub messages. The outputs are built the way ipykernel builds its
messages and nbclient turns them into outputs:

- ``display()`` (and matplotlib inline figures flushed at the cell's end by
  ``matplotlib_inline``'s ``post_execute`` hook) -> ``display_data`` with the
  mime bundle and metadata, images base64-encoded (ipykernel's
  ``encode_images`` and ``json_clean``);
- the value of the last expression -> ``execute_result`` with the cell's
  execution count;
- ``print`` / ``sys.stderr`` -> ``stream`` outputs (``stdout``, ``stderr``);
  consecutive writes to one stream form one output, as writes within one
  ipykernel flush interval do;
- an exception -> ``error`` with ``ename``, ``evalue`` and IPython's traceback
  lines, so papermill's ``raise_for_execution_errors`` finds it;
- ``clear_output(wait=...)`` and ``update_display(display_id=...)`` as nbclient
  applies them.

Writes to file descriptors 1 and 2 by C code are not captured (a kernel with
``watchfd`` captures them); report notebooks print through Python.
"""

from __future__ import annotations

import io
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from nbformat.v4 import new_output
from traitlets import Type
from traitlets.config import Config

#: ``metadata.language_info`` of an ipykernel kernel (its ``kernel_info`` reply), recorded by nbclient.
def language_info() -> dict[str, Any]:
    """The ``language_info`` ipykernel's ``IPythonKernel`` reports (copied field by field)."""
    import sys

    return {
        "name": "python",
        "version": sys.version.split()[0],
        "mimetype": "text/x-python",
        "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
        "pygments_lexer": "ipython3",
        "nbconvert_exporter": "python",
        "file_extension": ".py",
    }


def _clean(data: Any) -> Any:
    from ipykernel.jsonutil import encode_images, json_clean

    return json_clean(encode_images(data))


class CellStream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` during a notebook: text goes to the running cell's
    outputs, or to ``fallback`` (the host's stream) between cells."""

    def __init__(self, shell: "ReportShell", name: str, fallback: Any):
        super().__init__()
        self.shell = shell
        self.name = name
        self.fallback = fallback

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.shell.outputs is None:
            return self.fallback.write(text) if self.fallback is not None else len(text)
        if text:
            self.shell.add_stream(self.name, text)
        return len(text)

    def flush(self) -> None:
        if self.shell.outputs is None and self.fallback is not None:
            self.fallback.flush()


class OutputPublisher(DisplayPublisher):
    """``display()`` -> a ``display_data`` output of the running cell."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs) -> None:  # noqa: D102
        shell = self.shell
        if shell is None or shell.outputs is None:
            return
        out = new_output("display_data", data=_clean(data), metadata=_clean(metadata or {}))
        display_id = (transient or {}).get("display_id")
        if update:
            for old in shell.displays.get(display_id, []):
                old["data"], old["metadata"] = out["data"], out["metadata"]
            return
        shell.add_output(out)
        if display_id is not None:
            shell.displays.setdefault(display_id, []).append(out)

    def clear_output(self, wait: bool = False) -> None:  # noqa: D102
        shell = self.shell
        if shell is not None and shell.outputs is not None:
            shell.clear(wait=wait)


class OutputDisplayHook(DisplayHook):
    """The last expression's value -> an ``execute_result`` output (nothing printed)."""

    def start_displayhook(self) -> None:  # noqa: D102
        pass

    def write_output_prompt(self) -> None:  # noqa: D102
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:  # noqa: D102
        if format_dict and self.shell.outputs is not None:
            self.shell.add_output(new_output("execute_result", data=_clean(format_dict),
                                             metadata=_clean(md_dict or {}), execution_count=self.prompt_count))

    def finish_displayhook(self) -> None:  # noqa: D102
        pass


class ReportShell(InteractiveShell):
    """The in-process shell of report notebooks (see module docstring).

    ``outputs`` is the output list of the running cell (``None`` between cells).
    Construct it with :func:`report_shell`. It does not install itself as
    ``sys.modules['__main__']`` (the runner does that while a notebook runs).
    """

    display_pub_class = Type(OutputPublisher)
    displayhook_class = Type(OutputDisplayHook)

    def __init__(self, **kwargs: Any):
        self.outputs: list[Any] | None = None
        self.displays: dict[str, list[Any]] = {}
        self._clear_pending = False
        super().__init__(**kwargs)

    # -- no process-wide side effects at construction ---------------------------------
    def init_sys_modules(self) -> None:  # noqa: D102
        pass

    def init_prompts(self) -> None:  # noqa: D102
        pass

    def init_virtualenv(self) -> None:  # noqa: D102
        pass

    def enable_gui(self, gui=None) -> None:  # noqa: D102 - only the inline backend is used
        pass

    # -- outputs ----------------------------------------------------------------------
    def add_output(self, out: Any) -> None:
        """Append ``out`` to the running cell (after a pending ``clear_output(wait=True)``)."""
        if self._clear_pending:
            self.clear(wait=False)
        self.outputs.append(out)  # type: ignore[union-attr]

    def add_stream(self, name: str, text: str) -> None:
        """Append stream text; joins the previous output when it is the same stream."""
        if self._clear_pending:
            self.clear(wait=False)
        outs = self.outputs
        if outs and outs[-1]["output_type"] == "stream" and outs[-1]["name"] == name:
            outs[-1]["text"] += text
        else:
            outs.append(new_output("stream", name=name, text=text))  # type: ignore[union-attr]

    def clear(self, *, wait: bool) -> None:
        """``clear_output``: now, or at the next output when ``wait``."""
        if wait:
            self._clear_pending = True
            return
        self._clear_pending = False
        if self.outputs is not None:
            self.outputs.clear()

    def _showtraceback(self, etype, evalue, stb) -> None:  # noqa: D102 - ipykernel's error content
        if self.outputs is None:
            return super()._showtraceback(etype, evalue, stb)
        self.add_output(new_output("error", ename=str(etype.__name__), evalue=str(evalue), traceback=_clean(stb)))

    def run_cell_outputs(self, source: str) -> tuple[int, list[Any], bool]:
        """Run ``source`` as the next notebook cell; return (execution count, outputs, ok)."""
        count = self.execution_count
        self.outputs, self.displays, self._clear_pending = [], {}, False
        try:
            result = self.run_cell(source, store_history=True, silent=False)
        finally:
            outputs, self.outputs = self.outputs, None
        ok = result.error_before_exec is None and result.error_in_exec is None
        return count, outputs, ok


def report_shell() -> ReportShell:
    """The process's :class:`ReportShell` (created once; history kept in memory, no file)."""
    if ReportShell.initialized():
        return ReportShell.instance()
    cfg = Config()
    cfg.HistoryManager.hist_file = ":memory:"
    return ReportShell.instance(config=cfg)
