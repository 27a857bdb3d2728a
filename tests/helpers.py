"""Shared test helpers: locating ../shared data, reading CLUE texts, running oracles."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("CLUE_TF_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
ORACLES_DIR = Path(__file__).resolve().parent / "oracles"

CLUE_TEXT_FIELDS = ("sentence", "sentence1", "sentence2", "keywords")


def shared_path(relative: str) -> Path:
    """A file or folder under ../shared, or skip the test saying what is missing."""
    path = SHARED_DIR / relative
    if not path.exists():
        pytest.skip(f"needs {path} (the shared data folder beside the project root)")
    return path


def clue_texts(task_dir: Path) -> list[str]:
    """Every text field of every record in a CLUE task folder's JSON-lines files."""
    texts = []
    for path in sorted(task_dir.glob("*.json")):
        if path.name == "labels.json":
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    record = json.loads(line)
                    texts.extend(record[k] for k in CLUE_TEXT_FIELDS if k in record)
    return texts


def run_oracle(script: str, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    """Runs tests/oracles/SCRIPT in a fresh interpreter (legacy settings stay there)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    result = subprocess.run(
        [sys.executable, str(ORACLES_DIR / script), *args],
        capture_output=True, text=True, env=env, timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(f"oracle {script} failed:\n{result.stderr[-3000:]}")
    return result


def google_tokenize(texts: list[str], vocab_file: Path, do_lower_case: bool) -> list[list[str]]:
    """Tokens from Google's original FullTokenizer (bert-tensorflow 1.0.4), per text."""
    pytest.importorskip("bert.tokenization", reason="needs bert-tensorflow==1.0.4 (test extra)")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        src.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
        run_oracle("google_tokenization.py", str(vocab_file), str(do_lower_case).lower(), str(src), str(dst))
        with open(dst, encoding="utf-8") as f:
            return [json.loads(line) for line in f]
