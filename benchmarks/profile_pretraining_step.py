"""Where a training step spends its time: a TensorFlow profiler trace, kernel time summed by op type.
--mode=pretrain: benchmarks/encoder_throughput.py's masked-LM step; --mode=finetune: run_classifier's
own fit steps at fixed shapes (benchmarks/finetune_step_vs_google.py's set-up: TNEWS, seq 64, batch 32).

  python benchmarks/profile_pretraining_step.py --size=base --precision=mixed_bfloat16
  python benchmarks/profile_pretraining_step.py --mode=finetune --precision=float32

Kernel times are summed over TensorFlow's threads, so they are shares, not wall time.
"""

import argparse
import collections
import glob
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def trace_step(size_name: str, precision: str, logdir: str, steps: int, model: str = "ours") -> None:
    import numpy as np
    import tensorflow as tf

    import encoder_throughput as bench

    if model == "model_garden":
        import tf_keras as keras
    else:
        import keras
    keras.mixed_precision.set_global_policy(precision)
    size = bench.SIZES[size_name]
    net, _ = bench.build(model, size)
    rng = np.random.default_rng(0)
    ids = tf.constant(rng.integers(1, size["vocab"], (size["batch"], bench.SEQ)), tf.int32)
    inputs = {"token_ids": ids, "segment_ids": tf.zeros_like(ids), "padding_mask": tf.ones_like(ids)}
    if model == "model_garden":
        inputs = {"input_word_ids": ids, "input_type_ids": tf.zeros_like(ids), "input_mask": tf.ones_like(ids)}
    step = bench.pretraining_step(model, net, size, size["batch"], inputs)
    step()
    step()  # traced and warm
    tf.profiler.experimental.start(logdir)
    for _ in range(steps):
        step()
    tf.profiler.experimental.stop()


def trace_finetune_steps(size_name: str, precision: str, logdir: str, steps: int, seq: int = 64) -> None:
    """run_classifier's dataset, compile and fit (bucketing off), traced after 10 warm-up steps."""
    from pathlib import Path

    import keras

    import finetune_step_vs_google as bench
    from clue_tf.tasks.classifier import ClassifierRun, ClassifierSettings

    shared = Path(bench.ROOT.parent / "shared")
    work = Path(tempfile.mkdtemp())
    bundle = bench.write_start(work, shared / "data" / "vocab" / "google_zh_vocab.txt", size_name)
    data = bench.tnews_folder(shared, work, 2000)
    run = ClassifierRun(ClassifierSettings(
        task_name="tnews", data_dir=str(data), output_dir=str(work / "ours"), bundle_dir=str(bundle), do_train=True,
        max_seq_length=seq, train_batch_size=32, learning_rate=1e-4, bucket_by_length=False, seed=1,
        mixed_precision=precision))
    train_data, _, _, total = run.training_data()
    run.compile_for_training(total)

    import tensorflow as tf

    class Trace(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 10:
                tf.profiler.experimental.start(logdir)

    run.model.fit(train_data.repeat(), epochs=1, steps_per_epoch=10 + steps, callbacks=[Trace()], verbose=0)
    tf.profiler.experimental.stop()


def kernel_time_by_op(logdir: str) -> collections.Counter:
    """Milliseconds per op type from the host plane's TensorFlow executor lines."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    with open(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0], "rb") as f:
        space.ParseFromString(f.read())
    plane = next(p for p in space.planes if p.name == "/host:CPU")
    totals = collections.Counter()
    for line in plane.lines:
        if not line.name.startswith("tf_Compute"):
            continue
        for event in line.events:
            meta = plane.event_metadata[event.metadata_id]
            if ":" in meta.name and "::" not in meta.name:  # "node/name:OpType", not executor regions
                totals[meta.display_name or meta.name.split(":")[-1]] += event.duration_ps / 1e9
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="pretrain", choices=["pretrain", "finetune"])
    parser.add_argument("--size", default="tiny", choices=["tiny", "base"])
    parser.add_argument("--precision", default="mixed_bfloat16", choices=["float32", "mixed_bfloat16"])
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--seq", type=int, default=64, help="--mode=finetune: every row padded to this length")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--model", default="ours", choices=["ours", "keras_hub", "model_garden"],
                        help="model_garden: run with the python of an environment that has tf-models-official")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryDirectory() as logdir:
        if args.mode == "finetune":
            trace_finetune_steps(args.size, args.precision, logdir, args.steps, args.seq)
        else:
            trace_step(args.size, args.precision, logdir, args.steps, args.model)
        totals = kernel_time_by_op(logdir)
    total = sum(totals.values())
    print(f"{args.mode} {args.model} {args.size} {args.precision}: kernel time {total:.0f} ms over {args.steps} steps")
    for op, ms in totals.most_common(args.top):
        print(f"  {op:28} {ms:8.1f} ms {100 * ms / total:5.1f} %")


if __name__ == "__main__":
    main()
