"""``trainer.precision: native-bf16`` (what data=patches asks for) is bf16 only where the device computes it."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from pixelcnn.tasks import hardware
from pixelcnn.tasks.hardware import cpu_computes_bf16, machine_options
from tests.unit.test_model_follows_data import gpu

AMX = "flags\t\t: fpu vme sse2 avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n"
AVX512_BF16 = "flags\t\t: fpu avx2 avx512f avx512_bf16\n"
NO_BF16 = "flags\t\t: fpu vme sse2 avx2 avx512f avx512_vnni avx512_fp16\n"  # avx512_fp16 is not bf16


@pytest.mark.parametrize(("flags", "expected"), [(AMX, True), (AVX512_BF16, True), (NO_BF16, False)])
def test_the_cpu_flags_decide(tmp_path: Path, flags: str, expected: bool) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(flags * 2)
    assert cpu_computes_bf16(cpuinfo) is expected


def test_a_machine_without_cpuinfo_has_no_bf16(tmp_path: Path) -> None:
    assert cpu_computes_bf16(tmp_path / "missing") is False


@pytest.mark.parametrize("cpu_bf16", [True, False])
def test_native_bf16_on_the_cpu(cpu_bf16: bool) -> None:
    with gpu(visible=False), mock.patch.object(hardware, "cpu_computes_bf16", return_value=cpu_bf16):
        options = machine_options({"accelerator": "auto", "precision": "native-bf16"})
        assert options["precision"] == ("bf16-mixed" if cpu_bf16 else "32-true")
        # the CPU trainer on a GPU machine asks the CPU, not the GPU
    with gpu(visible=True, bf16=True), mock.patch.object(hardware, "cpu_computes_bf16", return_value=cpu_bf16):
        options = machine_options({"accelerator": "cpu", "precision": "native-bf16"})
        assert options["precision"] == ("bf16-mixed" if cpu_bf16 else "32-true")


@pytest.mark.parametrize("gpu_bf16", [True, False])
def test_native_bf16_on_a_gpu_is_what_the_gpu_computes(gpu_bf16: bool) -> None:
    with gpu(visible=True, bf16=gpu_bf16), mock.patch.object(hardware, "cpu_computes_bf16", return_value=True):
        options = machine_options({"accelerator": "auto", "precision": "native-bf16"})
    assert options["precision"] == ("bf16-mixed" if gpu_bf16 else "32-true")


def test_auto_stays_32_bit_on_a_cpu_with_bf16() -> None:
    """Only the quick recipes ask for native-bf16; every other CPU run keeps float32."""
    with gpu(visible=False), mock.patch.object(hardware, "cpu_computes_bf16", return_value=True):
        assert machine_options({"accelerator": "auto", "precision": "auto"})["precision"] == "32-true"
