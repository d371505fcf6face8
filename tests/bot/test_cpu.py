"""CPU flags from /proc/cpuinfo: what the llama.cpp backend and the int8 encoder decide from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cpu import cpu_flags, cpu_has_amx, cpu_has_vnni, x86_without_vnni


@pytest.fixture
def cpus(tmp_path: Path) -> dict[str, Path]:
    lines = {
        "amx": "fpu sse sse2 avx2 avx512f avx512_vnni amx_bf16 amx_tile amx_int8",
        "avx512_vnni": "fpu sse sse2 avx2 avx512f avx512_vnni",
        "avx2": "fpu sse sse2 avx2 fma",
        "arm": "fp asimd evtstrm aes pmull sha1 sha2 crc32 asimddp",
    }
    out = {}
    for name, flags in lines.items():
        out[name] = tmp_path / name
        out[name].write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    (tmp_path / "noflags").write_text("processor\t: 0\nmodel name\t: something\n")
    out["noflags"], out["missing"] = tmp_path / "noflags", tmp_path / "missing"
    return out


def test_cpu_flags_reads_the_first_flags_line(cpus: dict[str, Path]) -> None:
    assert cpu_flags(cpus["avx2"]) == {"fpu", "sse", "sse2", "avx2", "fma"}
    assert cpu_flags(cpus["noflags"]) is None and cpu_flags(cpus["missing"]) is None


def test_cpu_has_amx(cpus: dict[str, Path]) -> None:
    assert cpu_has_amx(cpus["amx"]) is True
    assert [cpu_has_amx(cpus[k]) for k in ("avx512_vnni", "avx2", "arm", "noflags", "missing")] == [False] * 5


def test_x86_without_vnni_only_for_x86_cpus_known_to_lack_it(cpus: dict[str, Path]) -> None:
    assert x86_without_vnni(cpus["avx2"]) is True
    assert [x86_without_vnni(cpus[k]) for k in ("amx", "avx512_vnni", "arm", "noflags", "missing")] == [False] * 5


def test_cpu_has_vnni(cpus: dict[str, Path]) -> None:
    assert cpu_has_vnni(cpus["amx"]) is True and cpu_has_vnni(cpus["avx512_vnni"]) is True
    assert [cpu_has_vnni(cpus[k]) for k in ("avx2", "arm", "noflags", "missing")] == [False] * 4
