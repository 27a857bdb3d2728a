"""What fine-tuning costs: examples/s, peak memory and dev accuracy beside the tools people
pick instead (HF's Trainer, keras-hub's BertTextClassifier.fit, Model Garden), same weights.

  python benchmarks/finetune_cost.py --mode=epoch  [--train_lines=20000] [--size=tiny|base] [--dev_lines=N]
         [--out=DIR]
  python benchmarks/finetune_cost.py --mode=memory [--seq=128] [--batch=32] [--steps=12] [--recompute]
         [--peer_python=MG/bin/python]

--mode=epoch: one TNEWS' epoch (its first --train_lines train lines; baselines/README.md's
subset), seq 128, batch 32, lr 1e-4, warmup 0.1, from the L4/H256 start that
finetune_vs_google.py pretrains (kept in --out): run_classifier's pieces bucketed by length
and with fixed padding, HF Trainer with group_by_length (PyTorch CPU), keras-hub's
BertTextClassifier with its preprocessor (and, named in --systems, `ours_adamw_keras`:
run_classifier with Keras's bias-corrected AdamW, `hf_trainer_fixed`: HF without length
grouping); training examples/s (fit's training batches only), then accuracy on all 10,000
dev lines (or the first --dev_lines). `--size=base` starts every system from one random
L12/H768 bundle instead (a base-size epoch of 20,000 lines is hours on two cores: pass fewer
--train_lines; the first two steps are left out of the time, and the accuracy only shows the
systems learn alike); give it its own --out.

--mode=memory: a base-size (L12/H768) BERT with random weights, --steps training steps padded
to --seq (every text is at least --seq tokens), --batch, float32 and mixed bfloat16 (HF:
`bf16=True`): the process's peak RSS, beside Model Garden's BertClassifier given
--peer_python; examples/s over the steps after two warm-up steps. `--recompute` adds ours
with --recompute_grad, `--xla` ours with --use_xla (keras-hub's fit compiles its step with
XLA by itself: Keras's jit_compile="auto" on a model whose layers all support it).

Every system runs in its own process; peak RSS is that process's (ru_maxrss), model and data
included. Needs ../shared, the test extra and the bench extra (HF's Trainer needs accelerate). Ratios are to the best peer in the same run (memory: lowest; speed: fastest).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from finetune_step_vs_google import StepTimer  # noqa: E402  (fit's training batches, timed one by one)

DEFAULT_BATCH = 32
LEARNING_RATE = 1e-4
NUM_LABELS = 15


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tnews_examples(data: Path, name: str):
    from clue_tf.tasks.clue import get_task, read_examples

    task = get_task("tnews")
    examples = read_examples(task, str(data / name), True)
    return [e.text_a for e in examples], [task.labels.index(e.label) for e in examples]


def ours(job: dict) -> dict:
    import numpy as np

    from clue_tf.tasks.classifier import ClassifierRun, ClassifierSettings

    run = ClassifierRun(ClassifierSettings(
        task_name="tnews", data_dir=job["data"], output_dir=job["work"], bundle_dir=job["bundle"], do_train=True,
        max_seq_length=job["seq"], train_batch_size=job["batch"], eval_batch_size=128, learning_rate=LEARNING_RATE,
        num_train_epochs=1.0, warmup_proportion=0.1, bucket_by_length=job["system"] != "ours_fixed", seed=1,
        optimizer="adamw_keras" if job["system"] == "ours_adamw_keras" else "adamw",
        mixed_precision=job["precision"], recompute_grad=job.get("recompute", False), use_xla=job.get("xla", False)))
    train_data, _, steps_per_epoch, total = run.training_data()
    run.compile_for_training(total)
    timer = StepTimer(skip=job["skip"])
    steps = job["steps"] + 2 if job["steps"] else steps_per_epoch  # an epoch: every batch full
    run.model.fit(train_data, epochs=1, steps_per_epoch=steps, callbacks=[timer.callback], verbose=0)
    result = {"examples_per_s": job["batch"] * len(timer.times) / sum(timer.times)}
    if job["accuracy"]:
        _, dev = run._features(run.settings.dev_file, True)
        result["accuracy"] = float((run._probabilities(dev, 128).argmax(-1) == np.asarray(dev.labels)).mean())
    return result


def keras_hub(job: dict) -> dict:
    import keras
    import keras_hub
    import numpy as np
    import tensorflow as tf

    keras.mixed_precision.set_global_policy(job["precision"])
    keras.utils.set_random_seed(1)
    classifier = keras_hub.models.BertTextClassifier.from_preset(job["keras_hub"], num_classes=NUM_LABELS)
    classifier.preprocessor.sequence_length = job["seq"]
    texts, labels = tnews_examples(Path(job["data"]), "train.json")
    steps = job["steps"] or len(texts) // job["batch"]
    schedule = keras.optimizers.schedules.PolynomialDecay(LEARNING_RATE, steps, 0.0)
    classifier.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.01),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = tf.data.Dataset.from_tensor_slices((texts, labels)).shuffle(len(texts), seed=1).batch(job["batch"])
    timer = StepTimer(skip=job["skip"])
    if job["steps"]:
        classifier.fit(data.repeat(), epochs=1, steps_per_epoch=steps + 2, callbacks=[timer.callback], verbose=0)
    else:
        classifier.fit(data, epochs=1, callbacks=[timer.callback], verbose=0)
    result = {"examples_per_s": job["batch"] * len(timer.times) / sum(timer.times)}
    if job["accuracy"]:
        dev_texts, dev_labels = tnews_examples(Path(job["data"]), "dev.json")
        logits = classifier.predict(tf.data.Dataset.from_tensor_slices(dev_texts).batch(128), verbose=0)
        result["accuracy"] = float((np.argmax(logits, -1) == np.asarray(dev_labels)).mean())
    return result


def hf_trainer(job: dict) -> dict:
    import numpy as np
    import torch
    import transformers

    torch.manual_seed(1)
    tokenizer = transformers.AutoTokenizer.from_pretrained(job["hf"])
    model = transformers.BertForSequenceClassification.from_pretrained(job["hf"], num_labels=NUM_LABELS)
    texts, labels = tnews_examples(Path(job["data"]), "train.json")
    padding = "max_length" if job["fixed"] else False
    encoded = tokenizer(texts, truncation=True, max_length=job["seq"], padding=padding)
    rows = [{"input_ids": ids, "token_type_ids": types, "attention_mask": mask, "labels": label}
            for ids, types, mask, label in zip(encoded["input_ids"], encoded["token_type_ids"],
                                                encoded["attention_mask"], labels)]
    arguments = transformers.TrainingArguments(
        output_dir=job["work"], per_device_train_batch_size=job["batch"], learning_rate=LEARNING_RATE,
        num_train_epochs=1.0, max_steps=job["steps"] + 2 if job["steps"] else -1, warmup_steps=0.1,
        weight_decay=0.01, train_sampling_strategy="random" if job["fixed"] else "group_by_length", use_cpu=True,
        bf16=job["precision"] == "mixed_bfloat16",
        report_to=[], save_strategy="no", logging_strategy="no", seed=1, dataloader_num_workers=0,
        disable_tqdm=True)
    timer = {"seconds": 0.0, "steps": 0}

    class Timing(transformers.TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step > job["skip"]:
                timer["seconds"] += time.perf_counter() - self.start
                timer["steps"] += 1

    trainer = transformers.Trainer(model=model, args=arguments, train_dataset=rows,
                                   data_collator=transformers.DataCollatorWithPadding(tokenizer),
                                   callbacks=[Timing()])
    trainer.train()
    result = {"examples_per_s": job["batch"] * timer["steps"] / timer["seconds"]}
    if job["accuracy"]:
        dev_texts, dev_labels = tnews_examples(Path(job["data"]), "dev.json")
        model.eval()
        predicted = []
        with torch.no_grad():
            for start in range(0, len(dev_texts), 128):
                batch = tokenizer(dev_texts[start:start + 128], truncation=True, max_length=job["seq"],
                                  padding=True, return_tensors="pt")
                predicted.append(model(**batch).logits.argmax(-1).numpy())
        result["accuracy"] = float((np.concatenate(predicted) == np.asarray(dev_labels)).mean())
    return result


def model_garden(job: dict) -> dict:
    """Model Garden's BertClassifier over its BertEncoder, tf_keras fit, fixed padding (peer env)."""
    import numpy as np
    import tensorflow as tf
    import tf_keras
    from official.nlp.modeling import models, networks

    tf_keras.mixed_precision.set_global_policy(job["precision"])
    size = job["size"]
    encoder = networks.BertEncoder(vocab_size=21128, hidden_size=size["hidden_size"],
                                   num_layers=size["num_hidden_layers"],
                                   num_attention_heads=size["num_attention_heads"],
                                   inner_dim=size["intermediate_size"], max_sequence_length=512)
    classifier = models.BertClassifier(encoder, num_classes=NUM_LABELS)
    classifier.compile(optimizer=tf_keras.optimizers.experimental.AdamW(LEARNING_RATE),
                       loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(1)
    ids = rng.integers(1000, 20000, (job["batch"], job["seq"])).astype("int32")
    features = {"input_word_ids": ids, "input_mask": np.ones_like(ids), "input_type_ids": np.zeros_like(ids)}
    data = tf.data.Dataset.from_tensors((features, rng.integers(0, NUM_LABELS, job["batch"]))).repeat()
    start_times = []

    class Timing(tf_keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            start_times.append(time.perf_counter())

    classifier.fit(data, epochs=1, steps_per_epoch=job["steps"] + 2, callbacks=[Timing()], verbose=0)
    seconds = time.perf_counter() - start_times[2]
    return {"examples_per_s": job["batch"] * job["steps"] / seconds}


SYSTEMS = {"ours": ours, "ours_fixed": ours, "ours_adamw_keras": ours, "keras_hub": keras_hub,
           "hf_trainer": hf_trainer, "hf_trainer_fixed": hf_trainer, "model_garden": model_garden}


def worker(job_file: str) -> None:
    job = json.loads(Path(job_file).read_text())
    if job["system"] != "model_garden":
        import tensorflow as tf
        import torch

        torch.set_num_threads(os.cpu_count())
        tf.config.threading.set_inter_op_parallelism_threads(os.cpu_count())
    job["fixed"] = job["system"].endswith("_fixed") or job["mode"] == "memory"
    result = SYSTEMS[job["system"]](job)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_job(job: dict, python: str, work: Path) -> dict:
    option = "_recompute" if job.get("recompute") else "_xla" if job.get("xla") else ""
    job_file = work / f"{job['system']}_{job['precision']}{option}.json"
    job = dict(job, work=str(work / job_file.stem))
    job_file.write_text(json.dumps(job))
    done = subprocess.run([python, __file__, "--worker", str(job_file)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def long_text_folder(work: Path, seq: int, lines: int) -> Path:
    """TNEWS'-shaped files whose every text is at least `seq` tokens (memory at full length)."""
    import random

    from finetune_vs_google import tnews_folder

    source = tnews_folder(Path(os.environ.get("CLUE_TF_SHARED_DIR", ROOT.parent / "shared")), work, lines)
    rng = random.Random(1)
    records = [json.loads(line) for line in (source / "train.json").read_text(encoding="utf-8").splitlines()]
    sentences = [r["sentence"] for r in records]
    data = work / "tnews_long"
    data.mkdir(exist_ok=True)
    with open(data / "train.json", "w", encoding="utf-8") as f:
        for r in records:
            text = r["sentence"]
            while len(text) < seq:
                text += rng.choice(sentences)
            f.write(json.dumps(dict(r, sentence=text), ensure_ascii=False) + "\n")
    dev = (data / "train.json").read_text(encoding="utf-8").splitlines(keepends=True)[:64]
    (data / "dev.json").write_text("".join(dev), encoding="utf-8")
    (data / "labels.json").write_bytes((source / "labels.json").read_bytes())
    return data


def start_folders(work: Path, bundle: Path) -> tuple:
    """The start bundle as an HF folder and a keras-hub preset (same weights)."""
    from clue_tf.checkpoints import folders
    from clue_tf.checkpoints.convert import convert_model

    hf, preset = work / "start_hf", work / "start_keras_hub"
    if not hf.exists():
        convert_model(folders.locate(str(bundle)), str(hf), "hf")
    if not preset.exists():
        convert_model(folders.locate(str(bundle)), str(preset), "keras_hub")
    return hf, preset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["epoch", "memory"], default="epoch")
    parser.add_argument("--train_lines", type=int, default=20000)
    parser.add_argument("--dev_lines", type=int, default=None, help="epoch mode: the first N dev lines only")
    parser.add_argument("--size", choices=["tiny", "base"], default="tiny", help="epoch mode: the model's size")
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--systems", default=None)
    parser.add_argument("--precisions", default="float32,mixed_bfloat16")
    parser.add_argument("--recompute", action="store_true", help="memory mode: ours with --recompute_grad too")
    parser.add_argument("--xla", action="store_true", help="ours with --use_xla too (keras-hub's fit compiles "
                        "with XLA by itself: jit_compile='auto')")
    parser.add_argument("--peer_python", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    import machine
    import finetune_step_vs_google as steps_bench
    import finetune_vs_google as start

    shared = Path(os.environ.get("CLUE_TF_SHARED_DIR", ROOT.parent / "shared"))
    work = Path(args.out or tempfile.mkdtemp(prefix="finetune_cost."))
    work.mkdir(parents=True, exist_ok=True)
    if args.mode == "epoch":
        if args.size == "base":
            bundle = steps_bench.write_start(work, shared / "data" / "vocab" / "google_zh_vocab.txt", "base")
        else:
            bundle = start.pretrained_start(shared, work, 1000)
        data = start.tnews_folder(shared, work, args.train_lines, args.dev_lines)
        systems = (args.systems or "ours,ours_fixed,hf_trainer,keras_hub").split(",")
        precisions, size = ["float32"], steps_bench.SIZES[args.size]
        skip = 2 if args.size == "base" else 0
    else:
        bundle = steps_bench.write_start(work, shared / "data" / "vocab" / "google_zh_vocab.txt", "base")
        data = long_text_folder(work, args.seq, 20 * args.batch)
        systems = (args.systems or "ours,keras_hub,hf_trainer" + (",model_garden" if args.peer_python else "")).split(",")
        precisions, size = args.precisions.split(","), steps_bench.SIZES["base"]
        skip = 2
    hf, preset = start_folders(work, bundle)
    print(f"{machine.cpu_name()}, {os.cpu_count()} threads; mode {args.mode}, size {args.size if args.mode == 'epoch' else 'base'}, "
          f"seq {args.seq}, batch {args.batch}",
          flush=True)
    rows = []
    for precision in precisions:
        jobs = [(system, "") for system in systems]
        jobs += [("ours", "--use_xla")] if args.xla else []
        jobs += [("ours", "--recompute_grad")] if args.recompute and args.mode == "memory" else []
        for system, option in jobs:
            job = {"system": system, "mode": args.mode, "precision": precision, "seq": args.seq, "batch": args.batch,
                   "data": str(data),
                   "bundle": str(bundle), "hf": str(hf), "keras_hub": str(preset), "size": size,
                   "steps": args.steps if args.mode == "memory" else 0, "accuracy": args.mode == "epoch",
                   "skip": skip,
                   "recompute": option == "--recompute_grad", "xla": option == "--use_xla"}
            python = args.peer_python if system == "model_garden" else sys.executable
            started = time.time()
            result = run_job(job, python, work)
            name = f"{system} {option}".strip()
            print(f"{name} {precision}: {result} ({time.time() - started:.0f} s)", flush=True)
            rows.append((name, precision, result))
    print(table(rows, args.mode))


def table(rows: list, mode: str) -> str:
    lines = ["| system | precision | examples/s | vs fastest peer | peak RSS (MB) | vs lowest peer |"
             + (" dev accuracy |" if mode == "epoch" else ""),
             "| --- | --- | --- | --- | --- | --- |" + (" --- |" if mode == "epoch" else "")]
    for name, precision, r in rows:
        if "error" in r:
            lines.append(f"| {name} | {precision} | failed: {r['error']} |")
            continue
        peers = [p for n, pr, p in rows if pr == precision and not n.startswith("ours") and "error" not in p]
        fastest = max((p["examples_per_s"] for p in peers), default=None)
        lowest = min((p["peak_rss_mb"] for p in peers), default=None)
        speed = f"{r['examples_per_s'] / fastest:.2f}x" if fastest else "-"
        memory = f"{r['peak_rss_mb'] / lowest:.2f}x" if lowest else "-"
        line = f"| {name} | {precision} | {r['examples_per_s']:.1f} | {speed} | {r['peak_rss_mb']:.0f} | {memory} |"
        if mode == "epoch":
            line += f" {100 * r['accuracy']:.2f} |"
        lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    main()
