"""benchmarks/device_check.sh --smoke: every row of the device check runs on this machine's CPU,
so the script a lent GPU machine runs has not rotted (its figures are not checked)."""

import os
import re
import subprocess

from tests.helpers import PROJECT_ROOT, SHARED_DIR, shared_path


def test_device_check_smoke_runs_every_row(tmp_path):
    shared_path("data/clue/tnews_public/dev.json")
    out = tmp_path / "device_check.md"
    done = subprocess.run(["bash", str(PROJECT_ROOT / "benchmarks" / "device_check.sh"), "--smoke", f"--out={out}"],
                          capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, CLUE_TF_SHARED_DIR=str(SHARED_DIR)))
    assert done.returncode == 0, done.stderr[-3000:]
    table = out.read_text(encoding="utf-8")
    assert table in done.stdout
    assert re.match(r"Device: .+\(CPU\)", table)
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert not [r for r in rows if "failed" in " | ".join(r)], table
    got = {(r[0].strip("| "), r[1], r[2], r[3]) for r in rows}
    expected = {("pretraining", model, precision, xla) for model in ("ours", "keras_hub")
                for precision, xla in (("float32", "off"), ("mixed_bfloat16", "on"), ("mixed_float16", "off"))}
    expected |= {("serving", "ours uer/chinese_roberta_L-2_H-128", precision, "off")
                 for precision in ("float32", "bfloat16", "int8")}
    expected |= {("generation", "ours t5-v1_1-small", "float32", "off")}
    assert got == expected
    for r in rows:
        assert float(r[4].split()[0]) > 0 and float(r[5]) > 0  # a rate and a peak memory in MB
        if r[1] == "ours" and r[2] == "float32" and r[3] == "off" or r[0] != "| pretraining" and r[2] == "float32":
            assert r[6].startswith("1.00x")
