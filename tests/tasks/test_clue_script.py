"""run_classifier_clue.sh end to end on small copies of two tasks, run twice (resume)."""

import os
import subprocess
import zipfile

from tests.helpers import PROJECT_ROOT
from tests.tasks.conftest import task_dir


def test_one_click_script_runs_tasks_resumes_and_writes_table_and_zip(tmp_path, tiny_bundle):
    for task in ("afqmc", "tnews"):
        task_dir(tmp_path, task)
    out = tmp_path / "out"
    command = ["bash", str(PROJECT_ROOT / "run_classifier_clue.sh"), f"--bundle_dir={tiny_bundle}",
               f"--data_dir={tmp_path}", "--tasks=afqmc,tnews", f"--output_dir={out}"]
    env = dict(os.environ, VIRTUAL_ENV=os.environ.get("VIRTUAL_ENV", str(PROJECT_ROOT / ".venv")))
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "| afqmc |" in first.stdout and "| tnews |" in first.stdout
    assert (out / "afqmc" / "ep5_bs32_lr1e-4" / "afqmc_predict.json").exists()  # tiny-model defaults
    with zipfile.ZipFile(out / "submission" / "submission.zip") as archive:
        assert sorted(archive.namelist()) == ["afqmc_predict.json", "tnews10_predict.json",
                                              "tnews11_predict.json"]
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert again.returncode == 0 and again.stdout.count("done earlier, kept") == 2
