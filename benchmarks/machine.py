"""The machine a benchmark ran on, named beside its figures (ratios only compare within one run)."""

import os
import platform


def cpu_name() -> str:
    """The CPU's model name and whether it has AVX-512 and AMX (they decide bfloat16 and int8 speed)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return platform.processor() or "unknown CPU"
    names = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")]
    extras = [flag for flag in ("avx512f", "amx_bf16") if f" {flag}" in text]
    # Virtual machines often report a bare "AMD EPYC": the family and model tell its generation
    # (AMD family 25: Zen 3 and 4, 26: Zen 5), which moves every figure.
    ids = {key: line.split(":", 1)[1].strip() for line in text.splitlines()
           for key in ("cpu family", "model") if line.split(":", 1)[0].strip() == key}
    generation = f"family {ids['cpu family']}, model {ids['model']}" if len(ids) == 2 else ""
    details = ", ".join(filter(None, [generation, *(extras or ["no AVX-512/AMX"])]))
    return f"{names[0] if names else platform.processor() or 'unknown CPU'} ({details})"


def device_name() -> str:
    """The first GPU's name, or the CPU's name and core count."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
    return f"{cpu_name()}, {os.cpu_count()} cores (CPU)"
