"""Serving speed, raw strings to labels on CPU: our SavedModel (float32, bfloat16, int8) beside
keras-hub's BertTextClassifier with its preprocessor and HF transformers'
text-classification pipeline (PyTorch float32, and int8 by torch's dynamic quantization),
on the same weights, in one run.

  python benchmarks/serving_throughput.py [--models=roberta-tiny-clue,chinese_L-12_H-768_A-12]
         [--threads=2] [--batch_size=64] [--latency_requests=200] [--batches=10] [--rounds=3]
         [--tnews_bundle=DIR]

Each model is the registry architecture with Google's Chinese vocab, random weights moved
by N(0, 0.05) and a 15-label classifier head (TNEWS'), exported once and loaded by every
side. Inputs are TNEWS' dev sentences (../shared). Every system is loaded and warmed up (one pass
over the single texts, so each length's kernels are made once, as in a server's steady state),
then the systems take turns for --rounds rounds, so the machine's drift falls on all alike.
Figures: batch-1 latency p50 / p99 (ms) over every round's --latency_requests single-text
calls and the median over rounds of batch throughput (examples/s, --batches batches of
--batch_size); `labels` is the share of the throughput texts whose label equals our float32
SavedModel's.

--tnews_bundle (a run_classifier best_bundle fine-tuned on TNEWS') adds what int8 costs in
accuracy: TNEWS' dev accuracy of our float32 and int8 SavedModels and of HF's float32 and
dynamically quantized model from the same weights.
"""

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "data")


def warm_up(call, single_texts, batches) -> None:
    """One pass over the single texts and the first batch: traces, allocates and caches each
    length's kernels once, as a server would have by its steady state."""
    for text in single_texts:
        call([text])
    call(batches[0])


def timed_round(call, single_texts, batches) -> tuple:
    """(batch-1 latencies in ms, batch seconds, the batch labels) for one pass."""
    latencies = []
    for text in single_texts:
        start = time.perf_counter()
        call([text])
        latencies.append(1000 * (time.perf_counter() - start))
    labels = []
    start = time.perf_counter()
    for batch in batches:
        labels.extend(call(batch))
    return latencies, time.perf_counter() - start, labels


def timings(calls: dict, single_texts, batches, rounds: int) -> dict:
    """Per system: p50 / p99 batch-1 latency (ms) and median examples/s over `rounds`
    rounds in which the systems take turns (so drift of the machine falls on all alike),
    and the batch labels."""
    import numpy as np

    for call in calls.values():
        warm_up(call, single_texts, batches)
    latencies = {system: [] for system in calls}
    rates = {system: [] for system in calls}
    labels = {}
    for _ in range(rounds):
        for system, call in calls.items():
            round_latencies, seconds, labels[system] = timed_round(call, single_texts, batches)
            latencies[system] += round_latencies
            rates[system].append(sum(map(len, batches)) / seconds)
    return {system: {"p50_ms": float(np.percentile(latencies[system], 50)),
                     "p99_ms": float(np.percentile(latencies[system], 99)),
                     "examples_per_s": float(np.median(rates[system])), "labels": labels[system]}
            for system in calls}


def build_model(name: str, vocab: str, folder: str, num_labels: int,
                output_formats: tuple = ("bundle", "hf", "keras_hub")):
    """Writes the registry architecture with a classifier head as a Google bundle, an HF
    folder and a keras-hub preset of the encoder (`output_formats`); returns the config and
    the head's weights."""
    import dataclasses

    import keras
    import numpy as np

    from clue_tf.checkpoints.folders import write
    from clue_tf.checkpoints.registry import registry_entry

    entry = registry_entry(name)
    with open(vocab, encoding="utf-8") as f:
        vocab_size = sum(1 for _ in f)
    config = dataclasses.replace(entry.config, vocab_size=vocab_size)
    keras.utils.set_random_seed(0)
    model = entry.family.build(config, ("classifier",), num_labels)
    rng = np.random.RandomState(0)
    for weight in model.weights:
        weight.assign(weight.numpy() + rng.normal(0, 0.05, weight.shape).astype("float32"))
    for output_format in output_formats:
        write(os.path.join(folder, output_format), model, entry.family, config, vocab, output_format)
    return config, model.get_layer("classifier_head").get_weights()


def ours(folder: str, precision: str, max_seq_length: int):
    import tensorflow as tf

    from clue_tf.serving.export import ExportSettings, export_saved_model
    from clue_tf.tasks.served import for_task

    path = os.path.join(folder, f"saved_model_{precision}")
    export_saved_model(for_task(ExportSettings(path, bundle_dir=os.path.join(folder, "bundle"),
                                               max_seq_length=max_seq_length, precision=precision), "tnews"))
    signature = tf.saved_model.load(path).signatures["serving_default"]
    return lambda texts: signature(text_a=tf.constant(texts))["label_id"].numpy().tolist()


def hf_model(folder: str, num_labels: int, quantized: bool):
    """HF's BertForSequenceClassification from the folder, int8 by torch's dynamic quantization."""
    import torch
    import transformers

    model = transformers.BertForSequenceClassification.from_pretrained(folder, num_labels=num_labels).eval()
    if quantized:
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return model


def keras_hub_classifier(folder: str, head_weights, num_labels: int, max_seq_length: int):
    import keras_hub
    import tensorflow as tf

    classifier = keras_hub.models.BertTextClassifier.from_preset(
        os.path.join(folder, "keras_hub"), num_classes=num_labels, activation="softmax")
    classifier.preprocessor.sequence_length = max_seq_length
    classifier.get_layer("logits").set_weights(head_weights)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def serve(texts):
        return tf.argmax(classifier(classifier.preprocessor(texts), training=False), axis=-1)

    return lambda texts: serve(tf.constant(texts)).numpy().tolist()


def hf_pipeline(folder: str, num_labels: int, batch_size: int, max_seq_length: int, quantized: bool = False):
    import transformers

    path = os.path.join(folder, "hf")
    model = hf_model(path, num_labels, quantized)
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    pipe = transformers.pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")

    def call(texts):
        results = pipe(texts, batch_size=batch_size, truncation=True, max_length=max_seq_length)
        return [int(r["label"].split("_")[-1]) for r in results]

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="roberta-tiny-clue,chinese_L-12_H-768_A-12")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--latency_requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="rounds in which the systems take turns")
    parser.add_argument("--max_seq_length", type=int, default=128)
    parser.add_argument("--systems", default="ours_float32,ours_bfloat16,ours_int8,keras_hub,hf_torch,hf_torch_int8")
    parser.add_argument("--tnews_bundle", default=None, help="a TNEWS-tuned bundle: int8's accuracy cost")
    args = parser.parse_args()

    import tensorflow as tf
    import torch

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    torch.set_num_threads(args.threads)
    vocab = os.path.join(SHARED, "vocab", "google_zh_vocab.txt")
    dev = os.path.join(SHARED, "clue", "tnews_public", "dev.json")
    with open(dev, encoding="utf-8") as f:
        texts = [json.loads(line)["sentence"] for line in f]
    single = texts[: args.latency_requests]
    batches = [texts[i * args.batch_size:(i + 1) * args.batch_size] for i in range(args.batches)]
    num_labels = 15
    print(f"{args.threads} threads; batch-1 latency over {len(single)} TNEWS dev texts, throughput over "
          f"{args.batches} x {args.batch_size}; max_seq_length {args.max_seq_length}; "
          f"{args.rounds} rounds, systems in turn")
    print("| model | system | p50 ms | p99 ms | examples/s | vs HF (throughput) | labels = ours fp32 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.models.split(","):
        folder = tempfile.mkdtemp(prefix="serving_bench.")
        _, head = build_model(name, vocab, folder, num_labels)
        makers = {
            "ours_float32": lambda: ours(folder, "float32", args.max_seq_length),
            "ours_bfloat16": lambda: ours(folder, "bfloat16", args.max_seq_length),
            "ours_int8": lambda: ours(folder, "int8", args.max_seq_length),
            "keras_hub": lambda: keras_hub_classifier(folder, head, num_labels, args.max_seq_length),
            "hf_torch": lambda: hf_pipeline(folder, num_labels, args.batch_size, args.max_seq_length),
            "hf_torch_int8": lambda: hf_pipeline(folder, num_labels, args.batch_size, args.max_seq_length, True),
        }
        calls = {system: makers[system]() for system in args.systems.split(",")}
        results = timings(calls, single, batches, args.rounds)
        reference = results.get("ours_float32", {}).get("labels")
        hf = results.get("hf_torch", {}).get("examples_per_s")
        for system, r in results.items():
            agree = (sum(a == b for a, b in zip(r["labels"], reference)) / len(reference)) if reference else None
            print(f"| {name} | {system} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['examples_per_s']:.0f} | "
                  f"{r['examples_per_s'] / hf:.2f}x | {'-' if agree is None else f'{100 * agree:.1f} %'} |"
                  if hf else f"| {name} | {system} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
                  f"{r['examples_per_s']:.0f} | - | - |", flush=True)
    if args.tnews_bundle:
        print(tnews_accuracy(args.tnews_bundle, dev, args.max_seq_length))


def tnews_accuracy(bundle: str, dev: str, max_seq_length: int) -> str:
    """A markdown table: TNEWS' dev accuracy of float32 and int8, ours and HF's, same weights."""
    import numpy as np
    import torch
    import transformers

    from clue_tf.checkpoints import folders
    from clue_tf.checkpoints.convert import convert_model
    from clue_tf.serving.export import ExportSettings, export_saved_model
    from clue_tf.tasks.clue import get_task, read_examples
    from clue_tf.tasks.served import for_task, load_served_classifier

    task = get_task("tnews")
    examples = read_examples(task, dev, labelled=True)
    gold = np.array([task.labels.index(e.label) for e in examples])
    folder = tempfile.mkdtemp(prefix="serving_accuracy.")
    predicted = {}
    for precision in ("float32", "int8"):
        settings = for_task(ExportSettings(os.path.join(folder, precision), bundle_dir=bundle,
                                           max_seq_length=max_seq_length, precision=precision), "tnews")
        export_saved_model(settings)
        predicted[f"ours {precision}"] = load_served_classifier(settings.export_dir).probabilities(
            examples, 128, progress=False).argmax(-1)
    convert_model(folders.locate(bundle), os.path.join(folder, "hf"), "hf")
    tokenizer = transformers.AutoTokenizer.from_pretrained(os.path.join(folder, "hf"))
    for quantized in (False, True):
        model = hf_model(os.path.join(folder, "hf"), len(task.labels), quantized)
        labels = []
        with torch.no_grad():
            for start in range(0, len(examples), 128):
                batch = tokenizer([e.text_a for e in examples[start:start + 128]], padding=True, truncation=True,
                                  max_length=max_seq_length, return_tensors="pt")
                labels.append(model(**batch).logits.argmax(-1).numpy())
        predicted[f"HF {'int8 (quantize_dynamic)' if quantized else 'float32'}"] = np.concatenate(labels)
    lines = [f"\nTNEWS dev ({len(examples)} lines), {bundle}", "| system | dev accuracy | vs its float32 (points) |",
             "| --- | --- | --- |"]
    for name, labels in predicted.items():
        base = predicted["ours float32" if name.startswith("ours") else "HF float32"]
        accuracy = 100 * float((labels == gold).mean())
        delta = accuracy - 100 * float((base == gold).mean())
        lines.append(f"| {name} | {accuracy:.2f} | {delta:+.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
