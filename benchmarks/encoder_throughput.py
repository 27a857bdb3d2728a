"""BERT encoder throughput (sequences/s at seq 128) against peers measured in the same run.

  python benchmarks/encoder_throughput.py [--sizes=tiny,base] [--steps=3] [--mode=encoder]
         [--peer_python=/path/to/venv-with-tf-models-official/bin/python]
         [--family=bert,electra,ernie,roformer,nezha]

--family compares clue-tf's encoder families at BERT's sizes instead: the forward pass serving
runs and the forward+backward pass fine-tuning runs, every family in one process timed in
alternating blocks (the best of five each), and each as a ratio to BERT's.

--mode=pretraining measures whole masked-LM training steps instead (forward, backward,
AdamW update; 20 predictions per sequence): ours (clue_tf's pretraining model and
loss), keras-hub's BertMaskedLM, Model Garden's BertPretrainerV2.

Models: ours (clue_tf BertEncoder), keras-hub's BertBackbone, and tf-models-official's
BertEncoder (Keras 2; it downgrades absl-py and pulls ~60 packages, so it runs from its
own environment given by --peer_python and is skipped without one). Each measurement
runs in a fresh subprocess (dtype policies and Keras versions stay apart), forward
(inference) and forward+backward (gradients of all weights), fp32 and mixed bfloat16.
Model FLOPs over a large matmul's measured rate give the fraction of machine peak.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import time

SIZES = {  # CLUE's tiny (L4/H312) and the base architecture
    "tiny": dict(vocab=8021, layers=4, hidden=312, heads=12, intermediate=1248, batch=32, repeat=5),
    "base": dict(vocab=21128, layers=12, hidden=768, heads=12, intermediate=3072, batch=8, repeat=1),
}
SEQ = 128
PREDICTIONS = 20  # masked positions per sequence in --mode=pretraining


def model_flops_per_sequence(size: dict) -> float:
    """Forward FLOPs of one sequence: dense layers 2*params*SEQ plus attention scores."""
    h, i, layers = size["hidden"], size["intermediate"], size["layers"]
    dense = layers * (4 * h * h + 2 * h * i) + h * h
    attention = layers * 2 * SEQ * h  # QK^T and AV, per token
    return 2 * SEQ * (dense + attention)


def size_vocab_flops(size: dict) -> float:
    """Multiply-adds of projecting one masked position onto the vocabulary (and its transform)."""
    return size["hidden"] * size["vocab"] + size["hidden"] * size["hidden"]


def build(model: str, size: dict):
    if model == "ours":
        from clue_tf.models.bert.backbone import BertEncoder

        return BertEncoder(size["vocab"], size["layers"], size["heads"], size["hidden"],
                           size["intermediate"], max_sequence_length=512), "keras"
    if model.startswith("ours:"):  # another clue-tf family at the same sizes
        from clue_tf.families import get_family

        family = get_family(model.split(":", 1)[1])
        values = {"vocab_size": size["vocab"], "hidden_size": size["hidden"], "num_hidden_layers": size["layers"],
                  "num_attention_heads": size["heads"], "intermediate_size": size["intermediate"],
                  "max_position_embeddings": 512, "type_vocab_size": 2}
        config = family.read_config(values, family.config_dialects[0], f"{family.name} benchmark config")
        return family.build(config), "keras"
    if model == "keras_hub":
        import keras_hub

        return keras_hub.models.BertBackbone(size["vocab"], size["layers"], size["heads"], size["hidden"],
                                             size["intermediate"]), "keras"
    from official.nlp.modeling import networks

    return networks.BertEncoder(vocab_size=size["vocab"], hidden_size=size["hidden"],
                                num_layers=size["layers"], num_attention_heads=size["heads"],
                                inner_dim=size["intermediate"], max_sequence_length=512,
                                dict_outputs=True), "tf_keras"


def pretraining_step(model: str, net, size: dict, batch: int, inputs: dict):
    """A tf.function running one masked-LM training step of `net` (PREDICTIONS per sequence)."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(1)
    positions = tf.constant(rng.integers(1, SEQ, (batch, PREDICTIONS)), tf.int32)
    labels = tf.constant(rng.integers(1, size["vocab"], (batch, PREDICTIONS)), tf.int32)
    if model == "model_garden":
        import tf_keras
        from official.nlp.modeling import models

        pretrainer = models.BertPretrainerV2(encoder_network=net)
        optimizer = tf_keras.optimizers.experimental.AdamW(1e-4)
        feed = dict(inputs, masked_lm_positions=positions)
        logits_of = lambda out: out["mlm_logits"]  # noqa: E731
    elif model == "keras_hub":
        import keras
        import keras_hub

        pretrainer = keras_hub.models.BertMaskedLM(net, preprocessor=None)
        optimizer = keras.optimizers.AdamW(1e-4)
        feed = dict(inputs, mask_positions=positions)
        logits_of = lambda out: out  # noqa: E731
    else:
        import keras

        from clue_tf.models.bert.heads import bert_pretraining_model

        pretrainer = bert_pretraining_model(net, next_sentence=False)
        optimizer = keras.optimizers.AdamW(1e-4)
        feed = dict(inputs, masked_lm_positions=positions)
        logits_of = lambda out: out["masked_lm_logits"]  # noqa: E731

    @tf.function(jit_compile=os.environ.get("BENCH_XLA") == "1")
    def step():
        with tf.GradientTape() as tape:
            logits = tf.cast(logits_of(pretrainer(feed, training=True)), tf.float32)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        variables = pretrainer.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


def worker(model: str, size_name: str, precision: str, steps: int, mode: str = "encoder") -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf

    size = SIZES[size_name]
    if model == "model_garden":
        import tf_keras

        tf_keras.mixed_precision.set_global_policy(precision)
    else:
        import keras

        keras.mixed_precision.set_global_policy(precision)
    net, _ = build(model, size)
    batch = size["batch"]
    rng = np.random.default_rng(0)
    ids = tf.constant(rng.integers(1, size["vocab"], (batch, SEQ)), tf.int32)
    zeros, ones = tf.zeros_like(ids), tf.ones_like(ids)
    if model == "model_garden":
        inputs = {"input_word_ids": ids, "input_type_ids": zeros, "input_mask": ones}
    else:
        inputs = {"token_ids": ids, "segment_ids": zeros, "padding_mask": ones}

    @tf.function
    def forward():
        return tf.cast(net(inputs, training=False)["sequence_output"], tf.float32)

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.cast(net(inputs, training=True)["sequence_output"], tf.float32))
        grads = tape.gradient(loss, net.trainable_variables)
        # Embedding gradients are IndexedSlices; their values are what was computed.
        return [g.values if isinstance(g, tf.IndexedSlices) else g for g in grads if g is not None]

    if mode == "pretraining":
        measured = (("train_step", pretraining_step(model, net, size, batch, inputs)),)
    else:
        measured = (("forward", forward), ("forward_backward", forward_backward))
    result = {}
    for mode, fn in measured:
        fn()  # trace
        fn()  # warm: oneDNN creates its bfloat16 kernels on the first calls
        steps_here = steps * size["repeat"]
        start = time.perf_counter()
        for _ in range(steps_here):
            out = fn()
        tf.nest.map_structure(lambda t: t.numpy(), out)
        result[mode] = batch * steps_here / (time.perf_counter() - start)
    return result


def matmul_rate(dtype: str) -> float:
    """Measured GFLOP/s of a 2048^3 matmul in `dtype` (the machine's practical peak)."""
    import tensorflow as tf

    n = 2048
    a = tf.random.normal((n, n), dtype=tf.float32)
    a = tf.cast(a, dtype)
    f = tf.function(lambda: tf.linalg.matmul(a, a))
    f()
    start = time.perf_counter()
    reps = 5
    for _ in range(reps):
        r = f()
    _ = r.numpy()
    return 2 * n**3 * reps / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="tiny,base")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--peer_python", default=None,
                        help="python of an environment with tf-models-official installed")
    parser.add_argument("--mode", choices=["encoder", "pretraining"], default="encoder")
    parser.add_argument("--xla", choices=["off", "on", "both"], default="off",
                        help="pretraining mode: the train step compiled with jit_compile=True")
    parser.add_argument("--family", default="bert",
                        help="encoder mode: clue-tf families to compare with BERT at each size (comma list)")
    parser.add_argument("--family_worker", nargs=3, metavar=("FAMILIES", "SIZE", "PRECISION"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=3, metavar=("MODEL", "SIZE", "PRECISION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.steps, args.mode)))
        return
    if args.family_worker:
        families, size_name, precision = args.family_worker
        print(json.dumps(family_worker(families.split(","), size_name, precision, args.steps)))
        return

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    peaks = {"float32": matmul_rate("float32"), "mixed_bfloat16": matmul_rate("bfloat16")}
    print(f"measured matmul peak: fp32 {peaks['float32']:.0f} GFLOP/s, bf16 {peaks['mixed_bfloat16']:.0f} GFLOP/s")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    models = [("ours", sys.executable), ("keras_hub", sys.executable)]
    families = [f for f in args.family.split(",") if f and f != "bert"]
    if families:
        compare_families(["bert", *families], args.sizes.split(","), args.steps, root)
        return
    if args.peer_python:
        models.append(("model_garden", args.peer_python))
    else:
        print("(tf-models-official BertEncoder skipped: give --peer_python of an environment that has it)")
    if args.mode == "pretraining":
        print(f"\n{'size':5} {'precision':15} {'model':13} {'train seq/s':>12} {'% peak':>7}")
    else:
        print(f"\n{'size':5} {'precision':15} {'model':13} {'fwd seq/s':>10} {'% peak':>7} {'fwd+bwd seq/s':>14} {'% peak':>7}")
    for size_name in args.sizes.split(","):
        flops = model_flops_per_sequence(SIZES[size_name])
        for precision in ("float32", "mixed_bfloat16"):
            for (model, python), xla in itertools.product(models, {"off": [0], "on": [1], "both": [0, 1]}[args.xla]):
                env = dict(os.environ, PYTHONPATH=root, BENCH_XLA=str(xla))
                label = model + ("+xla" if xla else "")
                proc = subprocess.run(
                    [python, os.path.abspath(__file__), "--worker", model, size_name, precision,
                     f"--steps={args.steps}", f"--mode={args.mode}"], capture_output=True, text=True, env=env)
                if proc.returncode:
                    print(f"{size_name:5} {precision:15} {label:13} failed: {proc.stderr.strip().splitlines()[-1:]}")
                    continue
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                peak = peaks[precision] * 1e9
                if args.mode == "pretraining":  # ~3x forward FLOPs, plus the vocab projection
                    step_flops = 3 * (flops + 2 * PREDICTIONS * size_vocab_flops(SIZES[size_name]))
                    print(f"{size_name:5} {precision:15} {label:13} {r['train_step']:12.1f} "
                          f"{100 * r['train_step'] * step_flops / peak:6.1f}%")
                    continue
                print(f"{size_name:5} {precision:15} {label:13} {r['forward']:10.1f} "
                      f"{100 * r['forward'] * flops / peak:6.1f}% {r['forward_backward']:14.1f} "
                      f"{100 * r['forward_backward'] * 3 * flops / peak:6.1f}%")


def family_worker(families: list, size_name: str, precision: str, steps: int, rounds: int = 5) -> dict:
    """Every family's encoder in one process, timed in alternating blocks (best block each),
    so that the machine's drift falls on all of them alike."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf

    keras.mixed_precision.set_global_policy(precision)
    size = SIZES[size_name]
    batch = size["batch"]
    ids = tf.constant(np.random.default_rng(0).integers(1, size["vocab"], (batch, SEQ)), tf.int32)
    inputs = {"token_ids": ids, "segment_ids": tf.zeros_like(ids), "padding_mask": tf.ones_like(ids)}
    functions = {}
    for family in families:
        net, _ = build("ours" if family == "bert" else f"ours:{family}", size)

        def forward(net=net):
            return tf.cast(net(inputs, training=False)["sequence_output"], tf.float32)

        def forward_backward(net=net):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.cast(net(inputs, training=True)["sequence_output"], tf.float32))
            grads = tape.gradient(loss, net.trainable_variables)
            return [g.values if isinstance(g, tf.IndexedSlices) else g for g in grads if g is not None]

        functions[family] = {"forward": tf.function(forward), "forward_backward": tf.function(forward_backward)}
        for fn in functions[family].values():
            fn(), fn()  # trace, then warm
    best = {family: {"forward": 0.0, "forward_backward": 0.0} for family in families}
    runs = steps * size["repeat"]
    for _ in range(rounds):
        for family in families:
            for mode, fn in functions[family].items():
                start = time.perf_counter()
                for _ in range(runs):
                    out = fn()
                tf.nest.map_structure(lambda t: t.numpy(), out)
                best[family][mode] = max(best[family][mode], batch * runs / (time.perf_counter() - start))
    return best


def compare_families(families: list, sizes: list, steps: int, root: str) -> None:
    """Each family's throughput at BERT's sizes, and its ratio to BERT's from the same process."""
    print(f"\n{'size':5} {'precision':15} {'family':9} {'fwd seq/s':>10} {'/bert':>6} {'fwd+bwd seq/s':>14} {'/bert':>6}")
    for size_name, precision in itertools.product(sizes, ("float32", "mixed_bfloat16")):
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--family_worker", ",".join(families),
                               size_name, precision, f"--steps={steps}"], capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=root))
        if proc.returncode:
            print(f"{size_name:5} {precision:15} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        bert = result["bert"]
        for family, r in result.items():
            print(f"{size_name:5} {precision:15} {family:9} {r['forward']:10.1f} {r['forward'] / bert['forward']:6.2f} "
                  f"{r['forward_backward']:14.1f} {r['forward_backward'] / bert['forward_backward']:6.2f}")


if __name__ == "__main__":
    main()
