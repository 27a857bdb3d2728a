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


def perturbed(model, scale: float = 0.2, seed: int = 0):
    """`model` with every weight moved by N(0, scale) noise (in place), so that a weight read
    from or written to the wrong place, or a head that ignores its input, shows; returns it."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(np.asarray(weight.numpy() + rng.normal(0, scale, weight.shape), weight.dtype))
    return model


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


def start_oracle(script: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    """Starts tests/oracles/SCRIPT in a fresh interpreter, so legacy settings stay there."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", **(env or {}))
    return subprocess.Popen(
        [sys.executable, str(ORACLES_DIR / script), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def finish_oracle(proc: subprocess.Popen, timeout: int = 1800) -> None:
    _, stderr = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"oracle {proc.args[1]} failed:\n{stderr[-3000:]}")


def _require_google_bert() -> None:
    pytest.importorskip("bert.tokenization", reason="needs bert-tensorflow==1.0.4 (test extra)")


def _write_jsonl(path: Path, rows) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _read_jsonl(path: Path) -> list:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def google_tokenize(texts: list[str], vocab_file: Path, lower_cases=(True, False)) -> dict:
    """{do_lower_case: [{"tokens", "ids"} per text]} from Google's original FullTokenizer.

    One subprocess per casing, run side by side (one per core).
    """
    _require_google_bert()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "in.jsonl")
        _write_jsonl(src, texts)
        outputs = {lower: Path(tmp, f"out-{lower}.jsonl") for lower in lower_cases}
        procs = {
            lower: start_oracle("google_bert.py", "tokenize", str(vocab_file),
                                str(lower).lower(), str(src), str(dst))
            for lower, dst in outputs.items()
        }
        for proc in procs.values():
            finish_oracle(proc)
        return {lower: _read_jsonl(dst) for lower, dst in outputs.items()}


def google_encode(pairs: list, vocab_file: Path, max_seq_length: int, do_lower_case: bool = True) -> list:
    """Google run_classifier's input_ids/input_mask/segment_ids for (text_a, text_b) pairs."""
    _require_google_bert()
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        _write_jsonl(src, pairs)
        finish_oracle(start_oracle("google_bert.py", "encode", str(vocab_file),
                                   str(do_lower_case).lower(), str(max_seq_length), str(src), str(dst)))
        return _read_jsonl(dst)
