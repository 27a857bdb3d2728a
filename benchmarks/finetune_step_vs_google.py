"""One fine-tuning step at equal shapes: Google's run_classifier TF1 loop vs clue-tf run_classifier.

  python benchmarks/finetune_step_vs_google.py [--steps=60] [--seq=64] [--batch=32] [--size=tiny|base]

Both start from the same random L4/H256/A4/I1024 (tiny) or L12/H768 (base) BERT on Google's
Chinese vocab and train on TNEWS's first 4,000 train lines padded to --seq (Google pads
always; ours with --bucket_by_length=false). Google: create_model, create_optimizer
(AdamWeightDecay, clipping), file_based_input_fn_builder, one session loop, in a subprocess
(tests/oracles/google_bert.py finetune with "time_steps"). Ours: ClassifierRun's own dataset
and compile, `fit` timed by a callback over the training batches only. Then our dev
evaluation speed (lines/s, 10,000 TNEWS dev lines; --compare_layer_norm: with oneDNN's LayerNorm
and with Keras's ops, alternating; --compare_optimizer: training steps with the fused Adam
kernel and op by op, alternating; --compare_gelu: with the GELU forward XLA-compiled and as
TensorFlow's ops, alternating). Prints the median seconds per step and the ratio Google /
ours (above 1: ours is faster). Needs ../shared and the test extra. ~3 min tiny.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import cpu_name  # noqa: E402
from finetune_vs_google import tnews_folder  # noqa: E402  (the TNEWS subset both benchmarks use)

SIZES = {
    "tiny": {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024},
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
}


def write_start(work: Path, vocab: Path, size: str) -> Path:
    """A random bundle of the size (its weights do not change a step's time)."""
    import keras

    from clue_tf.checkpoints.folders import write
    from clue_tf.models.bert.config import BertConfig
    from clue_tf.models.bert.family import BERT

    keras.utils.set_random_seed(0)
    config = BertConfig(vocab_size=21128, max_position_embeddings=512, type_vocab_size=2, **SIZES[size])
    bundle = work / "start"
    write(str(bundle), BERT.build(config, ()), BERT, config, str(vocab))
    return bundle


def google_seconds_per_step(bundle: Path, data: Path, work: Path, args) -> float:
    from clue_tf.tasks.clue import get_task, read_examples

    task = get_task("tnews")
    train = work / "google_train.jsonl"
    with open(train, "w", encoding="utf-8") as f:
        for e in read_examples(task, str(data / "train.json"), True):
            f.write(json.dumps({"text_a": e.text_a, "text_b": e.text_b, "label": e.label}, ensure_ascii=False) + "\n")
    settings = {"train": str(train), "dev": str(train), "labels": list(task.labels), "seed": 1,
                "vocab_file": str(bundle / "vocab.txt"), "config_file": str(bundle / "bert_config.json"),
                "max_seq_length": args.seq, "batch_size": args.batch, "learning_rate": 1e-4, "epochs": 3.0,
                "warmup_proportion": 0.1, "time_steps": args.steps, "warmup_steps": 10}
    (work / "google.json").write_text(json.dumps(settings))
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "oracles" / "google_bert.py"), "finetune",
                           str(work / "google.json"), str(work / "google_out.json")],
                          env={**os.environ, "TF_USE_LEGACY_KERAS": "1"}, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"Google's loop failed:\n{done.stderr[-3000:]}")
    return json.loads((work / "google_out.json").read_text())["seconds_per_step"]


class StepTimer:
    """Wall time of each of fit's training batches after `skip` warm-up batches (validation
    excluded); the median, robust to a busy machine, is the figure."""

    def __init__(self, skip: int):
        import keras

        times = self.times = []

        class Callback(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                self.start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                if batch >= skip:
                    times.append(time.perf_counter() - self.start)

        self.callback = Callback()

    @property
    def seconds_per_step(self) -> float:
        return sorted(self.times)[len(self.times) // 2]


def eval_lines_per_second(run, dev, batch_size: int, bucket: bool, passes: int = 3) -> float:
    """Dev predictions (the evaluate / predict path): the median of `passes` timed passes after
    one untimed one (this machine's speed drifts from pass to pass)."""
    run.settings.bucket_by_length = bucket
    run._probabilities(dev, batch_size)
    rates = []
    for _ in range(passes):
        start = time.perf_counter()
        run._probabilities(dev, batch_size)
        rates.append(len(dev.labels) / (time.perf_counter() - start))
    return sorted(rates)[len(rates) // 2]


def layer_norm_comparison(run, dev, batch_size: int, passes: int = 6) -> dict:
    """Dev lines/s (by length) with oneDNN's LayerNorm and with Keras's own ops
    (models/layer_norm.py), passes alternating in this one process: the median of each."""
    from clue_tf.models.layer_norm import portable_graph

    run.settings.bucket_by_length = True
    steps = {}
    for name in ("oneDNN LayerNorm", "Keras LayerNorm ops"):
        run._predict_step = None
        with portable_graph() if name.startswith("Keras") else contextlib.nullcontext():
            run._probabilities(dev, batch_size)  # traced here, untimed
        steps[name] = run._predict_step
    rates = {name: [] for name in steps}
    for _ in range(passes):
        for name, step in steps.items():
            run._predict_step = step
            start = time.perf_counter()
            run._probabilities(dev, batch_size)
            rates[name].append(len(dev.labels) / (time.perf_counter() - start))
    return {name: sorted(r)[len(r) // 2] for name, r in rates.items()}


def alternating_training_steps(run, train_data, variants: dict, blocks: int = 4, steps: int = 20) -> dict:
    """Median training-step seconds of each variant (name -> a context manager factory in force
    while fit's step is traced), each traced once, blocks of `steps` alternating in this one process."""
    functions = {}
    for name, setting in variants.items():
        run.model.train_function = None
        with setting():
            run.model.fit(train_data.repeat(), epochs=1, steps_per_epoch=3, verbose=0)  # traced here
        functions[name] = run.model.train_function
    times = {name: [] for name in functions}
    for _ in range(blocks):
        for name, function in functions.items():
            run.model.train_function = function
            timer = StepTimer(skip=2)
            run.model.fit(train_data.repeat(), epochs=1, steps_per_epoch=2 + steps, callbacks=[timer.callback],
                          verbose=0)
            times[name] += timer.times
    run.model.train_function = None  # the default is traced again by the next fit
    return {name: sorted(t)[len(t) // 2] for name, t in times.items()}


def optimizer_comparison(run, train_data) -> dict:
    """Training steps with the fused Adam kernel and op by op (the optimizer's `fused`)."""

    @contextlib.contextmanager
    def fused(value: bool):
        run.model.optimizer.fused = value
        try:
            yield
        finally:
            run.model.optimizer.fused = True

    return alternating_training_steps(run, train_data, {"fused Adam kernel": lambda: fused(True),
                                                        "Adam op by op": lambda: fused(False)})


def gelu_comparison(run, train_data) -> dict:
    """Training steps whose GELU twin runs its forward pass XLA-compiled (the default on CPU) and
    as TensorFlow's ops, both with the closed-form backward pass (models/gelu.py)."""
    from clue_tf.models import gelu, projections

    ops_forward = {gelu.gelu_tanh: gelu._with_fused_gradient(gelu.gelu_tanh, gelu.gelu_tanh_gradient),
                   gelu.gelu_erf: gelu._with_fused_gradient(gelu.gelu_erf, gelu.gelu_erf_gradient)}

    @contextlib.contextmanager
    def forward_as_ops():
        original = projections.for_training
        projections.for_training = lambda activation: ops_forward.get(activation, original(activation))
        try:
            yield
        finally:
            projections.for_training = original

    return alternating_training_steps(run, train_data, {"GELU forward XLA-compiled": contextlib.nullcontext,
                                                        "GELU forward as TensorFlow ops": forward_as_ops})


def ours(bundle: Path, data: Path, work: Path, args) -> tuple[float, dict]:
    """(median seconds per training step, {padding: dev lines per second}) of run_classifier's pieces."""
    from clue_tf.tasks.classifier import ClassifierRun, ClassifierSettings

    run = ClassifierRun(ClassifierSettings(
        task_name="tnews", data_dir=str(data), output_dir=str(work / "ours"), bundle_dir=str(bundle),
        do_train=True, max_seq_length=args.seq, train_batch_size=args.batch, eval_batch_size=args.eval_batch,
        learning_rate=1e-4, num_train_epochs=3.0, warmup_proportion=0.1, bucket_by_length=False, seed=1,
        use_xla=args.xla, mixed_precision=args.mixed_precision))
    train_data, _, _, total = run.training_data()
    run.compile_for_training(total)
    for wanted, comparison in ((args.compare_optimizer, optimizer_comparison), (args.compare_gelu, gelu_comparison)):
        if wanted:
            for name, seconds in comparison(run, train_data).items():
                print(f"clue-tf training step, {name}: {seconds:.3f} s/step")
    timer = StepTimer(skip=10)
    run.model.fit(train_data.repeat(), epochs=1, steps_per_epoch=10 + args.steps, callbacks=[timer.callback],
                  verbose=0)
    if args.skip_eval:
        return timer.seconds_per_step, {}
    _, dev = run._features(run.settings.dev_file, True)
    if args.compare_layer_norm:
        return timer.seconds_per_step, {f"by length, {name}": rate for name, rate in
                                        layer_norm_comparison(run, dev, args.eval_batch).items()}
    return timer.seconds_per_step, {
        f"fixed {args.seq}": eval_lines_per_second(run, dev, args.eval_batch, bucket=False),
        "by length (the default)": eval_lines_per_second(run, dev, args.eval_batch, bucket=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--eval_batch", type=int, default=128)
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--xla", action="store_true", help="ours with --use_xla")
    parser.add_argument("--mixed_precision", default="float32", choices=["float32", "mixed_bfloat16"],
                        help="ours only (Google's loop is float32): for evaluation speed in bfloat16")
    parser.add_argument("--skip_google", action="store_true", help="only ours (for profiling changes)")
    parser.add_argument("--skip_eval", action="store_true", help="no dev evaluation timing")
    parser.add_argument("--compare_layer_norm", action="store_true",
                        help="evaluation with oneDNN's LayerNorm and with Keras's ops, alternating in one process")
    parser.add_argument("--compare_optimizer", action="store_true",
                        help="training steps with the fused Adam kernel and op by op, alternating in one process")
    parser.add_argument("--compare_gelu", action="store_true",
                        help="training steps with the GELU forward XLA-compiled and as ops, alternating in one process")
    parser.add_argument("--shared_dir", default=str(ROOT.parent / "shared"))
    args = parser.parse_args()
    shared = Path(args.shared_dir)
    work = Path(tempfile.mkdtemp())
    bundle = write_start(work, shared / "data" / "vocab" / "google_zh_vocab.txt", args.size)
    data = tnews_folder(shared, work, 4000)
    google = None if args.skip_google else google_seconds_per_step(bundle, data, work, args)
    step, eval_rates = ours(bundle, data, work, args)
    print(f"{cpu_name()}, {os.cpu_count()} CPUs; {args.size}, seq {args.seq}, batch {args.batch}, fixed padding")
    if google is not None:
        print(f"Google run_classifier (TF1 session loop): {google:.3f} s/step")
    flags = (" --use_xla" if args.xla else "") + (f" --mixed_precision={args.mixed_precision}"
                                                   if args.mixed_precision != "float32" else "")
    print(f"clue-tf run_classifier{flags}: {step:.3f} s/step")
    if google is not None:
        print(f"step-time ratio Google / clue-tf: {google / step:.2f}x")
    for padding, rate in eval_rates.items():
        print(f"clue-tf dev evaluation, padding {padding}: {rate:,.0f} lines/s (batch {args.eval_batch})")


if __name__ == "__main__":
    main()
