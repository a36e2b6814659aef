"""The memory this kernel may use (``MEM_LIMIT``, cgroup v2 and v1), for ``load_model("auto")``.

Tests point :data:`CGROUP_ROOT` and :data:`PROC_CGROUP` at fake files: patch them here,
``helpers.models.memory.CGROUP_ROOT``, where :func:`memory_limit` reads them (the names
re-exported by ``helpers.models`` are copies for reading).
Used by :mod:`.choose` (notebook 00 prints the choice).
"""
from __future__ import annotations

import os

__all__ = ["memory_limit", "CGROUP_ROOT", "PROC_CGROUP"]

#: Where the kernel's memory limit is read (cgroup v2, then v1); tests point these at fake files.
CGROUP_ROOT = "/sys/fs/cgroup"
PROC_CGROUP = "/proc/self/cgroup"


def memory_limit() -> tuple[float | None, str]:
    """The memory this process may use, and where that limit comes from.

    Reads ``MEM_LIMIT`` (bytes; JupyterHub's spawners and Binder set it for the
    user's server), the cgroup v2 ``memory.max`` of this process's cgroup, and
    the cgroup v1 ``memory.limit_in_bytes``; the smallest one found wins.
    "max" and v1's "unlimited" values (around 2**63) count as no limit.

    Returns:
        (bytes, source) such as (2.0e9, "MEM_LIMIT"); (None, "") when no
        limit is set. Used by ``load_model("auto")`` (notebook 00 shows it).
    """
    found = []
    raw = os.environ.get("MEM_LIMIT", "").strip()
    if raw:
        try:
            found.append((float(raw), "MEM_LIMIT"))
        except ValueError:
            pass     # a hub that writes "2G" would be unusual; ignore what is not a number of bytes
    v2, v1 = "", ""
    try:
        with open(PROC_CGROUP, encoding="utf-8") as fh:
            for line in fh:
                number, controllers, path = line.rstrip("\n").split(":", 2)
                if number == "0" and not controllers:
                    v2 = path
                elif "memory" in controllers.split(","):
                    v1 = path
    except (OSError, ValueError):
        pass
    candidates = [(os.path.join(CGROUP_ROOT, v2.lstrip("/"), "memory.max"), "cgroup memory.max"),
                  (os.path.join(CGROUP_ROOT, "memory.max"), "cgroup memory.max"),
                  (os.path.join(CGROUP_ROOT, "memory", v1.lstrip("/"), "memory.limit_in_bytes"),
                   "cgroup memory.limit_in_bytes"),
                  (os.path.join(CGROUP_ROOT, "memory", "memory.limit_in_bytes"), "cgroup memory.limit_in_bytes")]
    for path, source in candidates:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2 ** 60:
            found.append((float(text), source))
    if not found:
        return None, ""
    return min(found)
