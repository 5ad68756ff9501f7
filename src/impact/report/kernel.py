"""Kernel start-up with the interpreter of the running environment, over IPC.

Report kernels are started as ``sys.executable -m ipykernel_launcher -f
{connection_file}``: the interpreter that runs ``impact`` (the project's
``.venv``), never whatever ``python3`` kernelspec happens to be registered on
the machine. They talk to the runner over Unix-domain (``ipc``) sockets placed
in a private temporary folder (mode 0700), not over TCP ports that other users
of a shared server could reach.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

#: Name of the kernel spec served by :class:`EnvKernelSpecManager`.
KERNEL_NAME = "impact-python"

#: Arguments nbclient passes to IPython kernels by default (history in memory).
KERNEL_EXTRA_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]


def kernel_argv(executable: str | None = None) -> list[str]:
    """The kernel command line: this environment's interpreter running ipykernel."""
    return [executable or sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def env_kernel_spec() -> KernelSpec:
    """A kernel spec for the running interpreter (no lookup of installed kernelspecs)."""
    return KernelSpec(
        argv=kernel_argv(),
        display_name=f"Python ({Path(sys.prefix).name})",
        language="python",
        metadata={"debugger": False},
        env={},
    )


class EnvKernelSpecManager(KernelSpecManager):
    """Serves :data:`KERNEL_NAME` (and ``python3``) as the running interpreter.

    Every other name is looked up as usual, so a notebook asking for another
    language still fails clearly.
    """

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:  # noqa: D102
        if kernel_name in (KERNEL_NAME, "python3", "python"):
            return env_kernel_spec()
        return super().get_kernel_spec(kernel_name)

    def find_kernel_specs(self) -> dict[str, str]:  # noqa: D102
        specs = dict(super().find_kernel_specs())
        specs[KERNEL_NAME] = str(Path(sys.prefix))
        return specs


def ipc_dir() -> str:
    """A private (0700) folder for the IPC sockets of one kernel.

    Kept short (under ``/tmp``) because Unix socket paths are limited to about
    100 bytes.
    """
    base = "/tmp" if os.path.isdir("/tmp") else None
    sweep_stale_ipc_dirs(base)
    folder = tempfile.mkdtemp(prefix="impact-k-", dir=base)
    with open(os.path.join(folder, "owner.pid"), "w") as fh:
        fh.write(str(os.getpid()))
    return folder


def sweep_stale_ipc_dirs(base: str | None = None) -> int:
    """Remove socket folders of runners that died without cleaning up; returns how many.

    Only folders of this user whose ``owner.pid`` names a process that no
    longer exists are removed.
    """
    root = Path(base or tempfile.gettempdir())
    removed = 0
    for folder in root.glob("impact-k-*"):
        try:
            if folder.stat().st_uid != os.getuid():
                continue
            pid = int((folder / "owner.pid").read_text().strip())
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        except (OSError, ValueError):
            continue
    return removed


def make_kernel_manager(cwd: str | os.PathLike[str] | None = None) -> AsyncKernelManager:
    """An (unstarted) kernel manager for this interpreter using IPC transport.

    Start it with ``await km.start_kernel(extra_arguments=KERNEL_EXTRA_ARGUMENTS,
    cwd=...)``; :func:`cleanup_ipc` removes the socket folder afterwards.
    """
    folder = ipc_dir()
    km = AsyncKernelManager(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=EnvKernelSpecManager(),
        transport="ipc",
        ip=os.path.join(folder, "k"),
        connection_file=os.path.join(folder, "kernel.json"),
    )
    km._impact_ipc_dir = folder  # type: ignore[attr-defined]
    km._impact_cwd = None if cwd is None else str(cwd)  # type: ignore[attr-defined]
    return km


def cleanup_ipc(km: AsyncKernelManager) -> None:
    """Remove the private socket folder of ``km`` (after the kernel stopped)."""
    folder = getattr(km, "_impact_ipc_dir", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


class KernelError(RuntimeError):
    """Code run by the engine itself (warm-up, reset) failed in the kernel."""


class KernelHandle:
    """One running kernel of this interpreter over IPC, owned by the runner.

    ``start()`` launches it; ``run_code(code)`` executes engine code silently
    (no output, no history, execution counter untouched) and raises
    :class:`KernelError` with the kernel's error if it fails; ``stop()`` shuts
    it down and removes its socket folder. Notebook cells are run by
    :mod:`impact.report.engine` through papermill/nbclient on ``self.km``.
    """

    def __init__(self, cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
                 startup_timeout: float = 60):
        self.cwd = os.fspath(cwd) if cwd is not None else os.getcwd()
        self.env = env
        self.startup_timeout = startup_timeout
        self.km: AsyncKernelManager | None = None

    # -- lifecycle ---------------------------------------------------------
    async def _astart(self) -> None:
        self.km = make_kernel_manager(self.cwd)
        kwargs: dict = {"extra_arguments": list(KERNEL_EXTRA_ARGUMENTS), "cwd": self.cwd}
        if self.env is not None:
            kwargs["env"] = {**os.environ, **self.env}
        await self.km.start_kernel(**kwargs)
        kc = self.km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=self.startup_timeout)
        finally:
            kc.stop_channels()

    async def _astop(self) -> None:
        if self.km is not None:
            try:
                if self.km.has_kernel:
                    await self.km.shutdown_kernel(now=False)
            finally:
                cleanup_ipc(self.km)
                self.km = None

    async def _arun_code(self, code: str, timeout: float | None) -> dict:
        if self.km is None or not self.km.has_kernel:
            raise KernelError("kernel is not running")
        kc = self.km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=self.startup_timeout)
            msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
            while True:
                reply = await kc.get_shell_msg(timeout=timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        finally:
            kc.stop_channels()
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelError(
                f"{content.get('ename', 'error')}: {content.get('evalue', '')}\n"
                + _strip_ansi("\n".join(content.get("traceback", [])))
            )
        return content

    def start(self) -> "KernelHandle":
        from jupyter_core.utils import run_sync

        run_sync(self._astart)()
        return self

    def stop(self) -> None:
        from jupyter_core.utils import run_sync

        run_sync(self._astop)()

    def run_code(self, code: str, timeout: float | None = 300) -> dict:
        from jupyter_core.utils import run_sync

        return run_sync(self._arun_code)(code, timeout)

    @property
    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def __enter__(self) -> "KernelHandle":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
