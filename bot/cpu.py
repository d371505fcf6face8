"""What the CPU can do, from ``/proc/cpuinfo``: which int8 and matrix instructions the kernels get."""

from __future__ import annotations

from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
#: Flags of the instructions that multiply int8 without saturating 16-bit intermediate sums.
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def cpu_flags(cpuinfo: str | Path = CPUINFO) -> frozenset[str] | None:
    """The first processor's ``flags``; ``None`` where unknown (no such file, no flags line)."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return None


def cpu_has_amx(cpuinfo: str | Path = CPUINFO) -> bool:
    """Whether the CPU reports Intel AMX (``amx_int8``/``amx_tile``); ``False`` where unknown."""
    return bool((cpu_flags(cpuinfo) or frozenset()) & {"amx_int8", "amx_tile"})


def cpu_has_vnni(cpuinfo: str | Path = CPUINFO) -> bool:
    """Whether the CPU reports VNNI (x86's int8 dot products); ``False`` where unknown."""
    return bool((cpu_flags(cpuinfo) or frozenset()) & VNNI_FLAGS)


def x86_without_vnni(cpuinfo: str | Path = CPUINFO) -> bool:
    """An x86 CPU (it reports SSE2) with no VNNI: int8 products of u8 x s8 can saturate there.

    ``False`` where unknown, and on other architectures (their int8 kernels do not pair products
    into 16 bits).
    """
    flags = cpu_flags(cpuinfo)
    return flags is not None and "sse2" in flags and not flags & VNNI_FLAGS
