"""What clue-tf costs on the machine at hand (a GPU when there is one), as one markdown table.

  bash benchmarks/device_check.sh [--smoke] [--out=device_check.md] [--peer_python=PY]

Sections, each model in its own process so device memory is counted per model:
- pretraining: one masked-LM training step (base, seq 128, batch 32 on a GPU), float32,
  mixed bfloat16 and mixed float16, XLA off and on: ours, keras-hub's BertMaskedLM and, given
  --peer_python (an environment with tf-models-official), Model Garden's BertPretrainerV2;
- serving: our SavedModel, raw TNEWS' texts to labels, float32 and bfloat16 (int8 on CPUs);
- generation: greedy T5 v1.1 small with the KV cache, batch 8.
Figures: sequences (examples, tokens) per second, the peak device memory of that process
(GPU: TensorFlow's allocator peak, reset per row; CPU: the process's peak RSS so far), and
each row's ratio to ours float32 without XLA in its section. --smoke runs every row on tiny
sizes in a minute or two (the suite runs it so the script cannot rot); its figures mean
nothing. On a GPU the whole check takes about 5-8 minutes.
"""

import argparse
import gc
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from machine import device_name  # noqa: E402

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
SMOKE_SETTINGS = (("float32", False), ("mixed_bfloat16", True), ("mixed_float16", False))  # each path once
SMOKE_SIZE = dict(vocab=1000, layers=2, hidden=64, heads=2, intermediate=128, batch=4, repeat=1)
BASE_SIZE = dict(vocab=21128, layers=12, hidden=768, heads=12, intermediate=3072, batch=32, repeat=1)


def reset_peak_memory() -> None:
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        tf.config.experimental.reset_memory_stats("GPU:0")


def peak_memory_mb() -> float:
    """The GPU allocator's peak since the last reset, or the process's peak RSS (CPU)."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, steps: int) -> float:
    """Seconds per call of `fn` over `steps` calls, after a tracing call and a warm one."""
    import tensorflow as tf

    fn(), fn()
    start = time.perf_counter()
    for _ in range(steps):
        out = fn()
    tf.nest.map_structure(lambda t: t.numpy(), out)
    return (time.perf_counter() - start) / steps


def pretraining_rows(model: str, smoke: bool) -> list:
    """One row per precision and XLA setting: a masked-LM training step of `model`."""
    import encoder_throughput as bench
    import numpy as np
    import tensorflow as tf

    if model == "model_garden":
        import tf_keras as keras_module
    else:
        import keras as keras_module
    size = SMOKE_SIZE if smoke else BASE_SIZE
    steps = 2 if smoke else 10
    rows = []
    for precision, xla in SMOKE_SETTINGS if smoke else itertools.product(PRECISIONS, (False, True)):
        keras_module.backend.clear_session()
        gc.collect()
        reset_peak_memory()
        keras_module.mixed_precision.set_global_policy(precision)
        net, _ = bench.build(model, size)
        ids = tf.constant(np.random.default_rng(0).integers(1, size["vocab"], (size["batch"], bench.SEQ)),
                          tf.int32)
        zeros, ones = tf.zeros_like(ids), tf.ones_like(ids)
        inputs = ({"input_word_ids": ids, "input_type_ids": zeros, "input_mask": ones} if model == "model_garden"
                  else {"token_ids": ids, "segment_ids": zeros, "padding_mask": ones})
        os.environ["BENCH_XLA"] = "1" if xla else "0"
        try:
            seconds = timed(bench.pretraining_step(model, net, size, size["batch"], inputs), steps)
            rate = size["batch"] / seconds
        except Exception as e:  # a row that cannot run says why, the others still run
            rows.append(row("pretraining", model, precision, xla, None, "seq/s", None,
                            f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"))
            continue
        rows.append(row("pretraining", model, precision, xla, rate, "seq/s", peak_memory_mb()))
    keras_module.mixed_precision.set_global_policy("float32")
    return rows


def serving_rows(smoke: bool) -> list:
    """Our SavedModel serving TNEWS' dev texts: examples/s by precision."""
    import serving_throughput as serving
    import tensorflow as tf

    name = "uer/chinese_roberta_L-2_H-128" if smoke else "chinese_L-12_H-768_A-12"
    precisions = ["float32", "bfloat16"] + ([] if tf.config.list_physical_devices("GPU") else ["int8"])
    shared = os.environ.get("CLUE_TF_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
    vocab = os.path.join(shared, "data", "vocab", "google_zh_vocab.txt")
    with open(os.path.join(shared, "data", "clue", "tnews_public", "dev.json"), encoding="utf-8") as f:
        texts = [json.loads(line)["sentence"] for line in f]
    batch = 8 if smoke else 64
    batches = [texts[i * batch:(i + 1) * batch] for i in range(2 if smoke else 20)]
    folder = tempfile.mkdtemp(prefix="device_check.")
    serving.build_model(name, vocab, folder, 15, ("bundle",))
    rows = []
    for precision in precisions:
        reset_peak_memory()
        call = serving.ours(folder, precision, 128)
        call(batches[0]), call(batches[0])
        start = time.perf_counter()
        for texts_in_batch in batches:
            call(texts_in_batch)
        rate = sum(map(len, batches)) / (time.perf_counter() - start)
        rows.append(row("serving", f"ours {name}", precision, False, rate, "examples/s", peak_memory_mb()))
    return rows


def generation_rows(smoke: bool) -> list:
    """Greedy generation with the KV cache: new tokens/s."""
    import generation_throughput as generation

    from clue_tf.inference.text2text import generate_ids

    sizes = dict(vocab_size=1000, hidden_dim=64, num_layers=2, num_decoder_layers=2, num_heads=2,
                 intermediate_dim=128) if smoke else {}
    ours, _ = generation.random_seq2seq("uer/t5-v1_1-small-chinese-cluecorpussmall", **sizes)
    batch, new_tokens = (2, 4) if smoke else (8, 64)
    sources = generation.random_sources(ours.config.vocab_size, batch, 16 if smoke else 64)
    reset_peak_memory()
    generate_ids(ours.model, ours.config, sources, new_tokens + 1, use_cache=True)
    start = time.perf_counter()
    generate_ids(ours.model, ours.config, sources, new_tokens + 1, use_cache=True)
    rate = batch * new_tokens / (time.perf_counter() - start)
    return [row("generation", "ours t5-v1_1-small", "float32", False, rate, "tokens/s", peak_memory_mb())]


def row(section, system, precision, xla, rate, unit, memory_mb, note="") -> dict:
    return {"section": section, "system": system, "precision": precision, "xla": xla, "rate": rate,
            "unit": unit, "peak_mb": memory_mb, "note": note}


def worker(job: str, smoke: bool) -> list:
    if job == "serving":
        return serving_rows(smoke)
    if job == "generation":
        return generation_rows(smoke)
    return pretraining_rows(job.split(":", 1)[1], smoke)


def markdown(rows: list, device: str, smoke: bool) -> str:
    """The table: each row with its ratio to ours float32 without XLA in its section."""
    lines = [f"Device: {device}{' (smoke run: tiny sizes, figures mean nothing)' if smoke else ''}", "",
             "| section | system | precision | XLA | throughput | peak memory (MB) | vs ours float32 |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        base = next((b["rate"] for b in rows if b["section"] == r["section"] and b["system"].startswith("ours")
                     and b["precision"] == "float32" and not b["xla"] and b["rate"]), None)
        rate = f"{r['rate']:.1f} {r['unit']}" if r["rate"] else f"failed: {r['note']}"
        memory = f"{r['peak_mb']:.0f}" if r["peak_mb"] else "-"
        ratio = f"{r['rate'] / base:.2f}x" if r["rate"] and base else "-"
        lines.append(f"| {r['section']} | {r['system']} | {r['precision']} | {'on' if r['xla'] else 'off'} | "
                     f"{rate} | {memory} | {ratio} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks every row runs")
    parser.add_argument("--out", default="device_check.md")
    parser.add_argument("--peer_python", default=None, help="python of an environment with tf-models-official")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.smoke)))
        return
    jobs = [("pretraining:ours", sys.executable), ("pretraining:keras_hub", sys.executable)]
    if args.peer_python:
        jobs.append(("pretraining:model_garden", args.peer_python))
    jobs += [("serving", sys.executable), ("generation", sys.executable)]
    rows = []
    env = dict(os.environ, PYTHONPATH=ROOT)
    for job, python in jobs:
        started = time.time()
        proc = subprocess.run([python, os.path.abspath(__file__), f"--worker={job}"] + (["--smoke"] if args.smoke else []),
                              capture_output=True, text=True, env=env)
        if proc.returncode:
            rows.append(row(job.split(":")[0], job.split(":")[-1], "-", False, None, "", None,
                            (proc.stderr.strip().splitlines() or ["no output"])[-1][:160]))
        else:
            rows.extend(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"{job}: {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    import tensorflow as tf  # after the workers: this process holds no device memory while they run

    with tf.device("/CPU:0"):
        table = markdown(rows, device_name(), args.smoke)
    from clue_tf.io.outputs import atomic_write

    with atomic_write(args.out) as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main()
