"""Google's original BERT code (PyPI bert-tensorflow==1.0.4) as a subprocess oracle.

Usage:
  python google_bert.py tokenize VOCAB DO_LOWER_CASE IN.jsonl OUT.jsonl
      each input line a JSON string -> {"tokens": [...], "ids": [...]}
  python google_bert.py encode VOCAB DO_LOWER_CASE MAX_SEQ_LENGTH IN.jsonl OUT.jsonl
      each input line a JSON [text_a, text_b or null] -> run_classifier's features
  python google_bert.py model CONFIG.json INPUTS.npz OUT_DIR [CHECKPOINT]
      builds modeling.BertModel plus run_pretraining.py's masked-LM and next-sentence
      heads (random init, or restored from CHECKPOINT by Saver, which must leave no
      variable uninitialized), writes OUT_DIR/bert_model.ckpt (when initialised here)
      and OUT_DIR/outputs.npz: every layer's output, pooled output, MLM and NSP
      log-probabilities. Needs TF_USE_LEGACY_KERAS=1 (tf_keras: tf.compat.v1.layers).
  python google_bert.py pretraining_data INPUT VOCAB OUTPUT SEED MAX_SEQ MAX_PRED DUPE
      create_pretraining_data.py's instances and writer (masked_lm_prob 0.15, short 0.1)
  python google_bert.py read_records RECORDS MAX_SEQ MAX_PRED OUT.npz
      run_pretraining.py's input_fn (training=False) over RECORDS -> every feature
  python google_bert.py finetune SETTINGS.json OUT.json
      Google's run_classifier fine-tuning without its Estimator (removed from TF 2.16 on):
      file_based_convert_examples_to_features + file_based_input_fn_builder, create_model
      (dropout on), init_from_checkpoint, optimization.create_optimizer, one session loop;
      dev accuracy after every epoch; with "time_steps" in SETTINGS, the median seconds per training step instead
  python google_bert.py optimizer IN.npz OUT.npz adamw|lamb
      optimization.create_optimizer on a loss whose gradient is fed (clipping, warmup and
      decay included), IN's variables and gradient sequence -> each step's learning rate and
      the variables after every step. "lamb" substitutes ALBERT's LAMBOptimizer (PyPI
      albert-tensorflow) for AdamWeightDecayOptimizer, as ALBERT's create_optimizer does.

It runs under TF 2 only after three adjustments, made here and nowhere else:
tf.gfile is aliased to tf.io.gfile, absl flags are marked parsed, and the removed
`tensorflow.contrib.layers.layer_norm` gets a stand-in (variables LayerNorm/beta and
LayerNorm/gamma, epsilon 1e-12, as contrib's).
"""

import json
import sys
import types


def install_tf1_shims():
    import tensorflow.compat.v1 as tf

    tf.gfile = tf.io.gfile

    def layer_norm(inputs, begin_norm_axis=-1, begin_params_axis=-1, scope=None):
        with tf.variable_scope(scope, default_name="LayerNorm"):
            depth = inputs.shape[-1]
            beta = tf.get_variable("beta", [depth], initializer=tf.zeros_initializer())
            gamma = tf.get_variable("gamma", [depth], initializer=tf.ones_initializer())
            mean, variance = tf.nn.moments(inputs, [begin_norm_axis], keepdims=True)
            return tf.nn.batch_normalization(inputs, mean, variance, beta, gamma, 1e-12)

    contrib = types.ModuleType("tensorflow.contrib")
    contrib.layers = types.ModuleType("tensorflow.contrib.layers")
    contrib.layers.layer_norm = layer_norm
    sys.modules["tensorflow.contrib"] = contrib
    sys.modules["tensorflow.contrib.layers"] = contrib.layers
    return tf


def google_modules():
    install_tf1_shims()
    from absl import flags
    from bert import run_classifier, tokenization

    flags.FLAGS.mark_as_parsed()
    return tokenization, run_classifier


def tokenize(vocab_file, do_lower_case, in_path, out_path):
    tokenization, _ = google_modules()
    tokenizer = tokenization.FullTokenizer(vocab_file, do_lower_case=do_lower_case == "true")
    with open(in_path, encoding="utf-8") as src, open(out_path, "w", encoding="utf-8") as dst:
        for line in src:
            tokens = tokenizer.tokenize(json.loads(line))
            ids = tokenizer.convert_tokens_to_ids(tokens)
            dst.write(json.dumps({"tokens": tokens, "ids": ids}, ensure_ascii=False) + "\n")


def encode(vocab_file, do_lower_case, max_seq_length, in_path, out_path):
    tokenization, run_classifier = google_modules()
    import tensorflow.compat.v1 as tf

    tf.logging.set_verbosity(tf.logging.ERROR)
    tokenizer = tokenization.FullTokenizer(vocab_file, do_lower_case=do_lower_case == "true")
    with open(in_path, encoding="utf-8") as src, open(out_path, "w", encoding="utf-8") as dst:
        for index, line in enumerate(src):
            text_a, text_b = json.loads(line)
            example = run_classifier.InputExample(f"x-{index}", text_a, text_b, label="0")
            feature = run_classifier.convert_single_example(
                index + 10, example, ["0"], int(max_seq_length), tokenizer)
            dst.write(json.dumps({
                "input_ids": feature.input_ids,
                "input_mask": feature.input_mask,
                "segment_ids": feature.segment_ids,
            }) + "\n")


def model(config_file, inputs_file, out_dir, checkpoint=None):
    import os

    import numpy as np

    tf = install_tf1_shims()
    from absl import flags
    from bert import modeling, run_pretraining

    flags.FLAGS.mark_as_parsed()

    tf.disable_eager_execution()
    inputs = np.load(inputs_file)
    config = modeling.BertConfig.from_json_file(config_file)
    tf.set_random_seed(int(inputs["seed"]))
    input_ids = tf.constant(inputs["input_ids"], tf.int32)
    bert = modeling.BertModel(
        config=config, is_training=False, input_ids=input_ids,
        input_mask=tf.constant(inputs["input_mask"], tf.int32),
        token_type_ids=tf.constant(inputs["segment_ids"], tf.int32),
        use_one_hot_embeddings=False)
    positions = tf.constant(inputs["masked_lm_positions"], tf.int32)
    label_ids = tf.constant(inputs["masked_lm_ids"] if "masked_lm_ids" in inputs else np.zeros(positions.shape),
                            tf.int32)
    label_weights = tf.constant(inputs["masked_lm_weights"] if "masked_lm_weights" in inputs
                                else np.ones(positions.shape), tf.float32)
    nsp_labels = tf.constant(inputs["next_sentence_labels"] if "next_sentence_labels" in inputs
                             else np.zeros(positions.shape[0]), tf.int32)
    mlm_loss, _, mlm_log_probs = run_pretraining.get_masked_lm_output(
        config, bert.get_sequence_output(), bert.get_embedding_table(), positions, label_ids, label_weights)
    nsp_loss, _, nsp_log_probs = run_pretraining.get_next_sentence_output(config, bert.get_pooled_output(),
                                                                          nsp_labels)
    saver = tf.train.Saver()
    with tf.Session() as session:
        if checkpoint:
            saver.restore(session, checkpoint)
            uninitialized = session.run(tf.report_uninitialized_variables())
            if len(uninitialized):
                raise SystemExit(f"variables left uninitialized: {uninitialized}")
        else:
            session.run(tf.global_variables_initializer())
            saver.save(session, os.path.join(out_dir, "bert_model.ckpt"), write_meta_graph=False)
        embedding, layers, pooled, mlm, nsp, losses = session.run(
            [bert.get_embedding_output(), bert.get_all_encoder_layers(), bert.get_pooled_output(),
             mlm_log_probs, nsp_log_probs, [mlm_loss, nsp_loss]])
    np.savez(os.path.join(out_dir, "outputs.npz"), embedding_output=embedding,
             encoder_outputs=np.stack(layers), pooled_output=pooled,
             masked_lm_log_probs=mlm, next_sentence_log_probs=nsp, masked_lm_loss=losses[0],
             next_sentence_loss=losses[1],
             variables=np.array(sorted(v.name for v in tf.global_variables())))


def classifier_step(config_file, inputs_file, checkpoint, out_file, num_labels):
    """run_classifier.create_model (dropout off) restored from CHECKPOINT: its loss and the
    gradient of every trainable variable for one batch."""
    import numpy as np

    tf = install_tf1_shims()
    from absl import flags
    from bert import modeling, run_classifier

    flags.FLAGS.mark_as_parsed()
    tf.disable_eager_execution()
    tf.disable_v2_tensorshape()  # create_model reads Dimension.value
    inputs = np.load(inputs_file)
    config = modeling.BertConfig.from_json_file(config_file)
    loss, _, logits, _ = run_classifier.create_model(
        config, False, tf.constant(inputs["input_ids"], tf.int32), tf.constant(inputs["input_mask"], tf.int32),
        tf.constant(inputs["segment_ids"], tf.int32), tf.constant(inputs["labels"], tf.int32), int(num_labels),
        False)
    variables = tf.trainable_variables()
    gradients = [tf.convert_to_tensor(g) for g in tf.gradients(loss, variables)]  # dense, also the table's
    with tf.Session() as session:
        tf.train.Saver().restore(session, checkpoint)
        if len(session.run(tf.report_uninitialized_variables())):
            raise SystemExit("variables left uninitialized")
        loss_value, logit_values, gradient_values = session.run([loss, logits, gradients])
    np.savez(out_file, loss=loss_value, logits=logit_values,
             **{f"grad/{v.name[:-2]}": g for v, g in zip(variables, gradient_values)})


def finetune(settings_file, out_file):
    import json
    import os
    import tempfile

    import numpy as np

    tf = install_tf1_shims()
    from absl import flags
    from bert import modeling, optimization, run_classifier, tokenization

    flags.FLAGS.mark_as_parsed()
    tf.disable_eager_execution()
    tf.disable_v2_tensorshape()
    with open(settings_file, encoding="utf-8") as f:
        s = json.load(f)
    tf.set_random_seed(s["seed"])
    np.random.seed(s["seed"])

    def examples(path):
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        return [run_classifier.InputExample(str(i), r["text_a"], r.get("text_b"), r["label"]) for i, r in enumerate(rows)]

    train, dev = examples(s["train"]), examples(s["dev"])
    tokenizer = tokenization.FullTokenizer(s["vocab_file"], do_lower_case=True)
    config = modeling.BertConfig.from_json_file(s["config_file"])
    steps_per_epoch = len(train) // s["batch_size"]
    total = int(len(train) / s["batch_size"] * s["epochs"])
    record = os.path.join(tempfile.mkdtemp(), "train.tf_record")
    run_classifier.file_based_convert_examples_to_features(train, s["labels"], s["max_seq_length"], tokenizer, record)
    dataset = run_classifier.file_based_input_fn_builder(record, s["max_seq_length"], True, True)(
        {"batch_size": s["batch_size"]})
    features = tf.data.make_one_shot_iterator(dataset).get_next()
    loss, _, _, _ = run_classifier.create_model(
        config, True, features["input_ids"], features["input_mask"], features["segment_ids"],
        features["label_ids"], len(s["labels"]), False)
    if s.get("init_checkpoint"):
        assignment, _ = modeling.get_assignment_map_from_checkpoint(tf.trainable_variables(), s["init_checkpoint"])
        tf.train.init_from_checkpoint(s["init_checkpoint"], assignment)
    train_op = optimization.create_optimizer(loss, s["learning_rate"], total, int(total * s["warmup_proportion"]),
                                             False)
    if s.get("time_steps"):  # seconds per training step, after warm-up steps
        import time

        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            for _ in range(s.get("warmup_steps", 10)):
                session.run(train_op)
            if s.get("profile_dir"):
                import tensorflow as tf2

                tf2.profiler.experimental.start(s["profile_dir"])
            times = []
            for _ in range(s["time_steps"]):
                start = time.perf_counter()
                session.run(train_op)
                times.append(time.perf_counter() - start)
            seconds = sorted(times)[len(times) // 2]  # the median step: robust to a busy machine
            if s.get("profile_dir"):
                tf2.profiler.experimental.stop()
        with open(out_file, "w", encoding="utf-8") as f:
            json.dump({"seconds_per_step": seconds}, f)
        return
    shape = [None, s["max_seq_length"]]
    ids, mask, segs = (tf.placeholder(tf.int32, shape) for _ in range(3))
    with tf.variable_scope(tf.get_variable_scope(), reuse=True):  # create_model's, dropout off, same weights
        bert = modeling.BertModel(config=config, is_training=False, input_ids=ids, input_mask=mask,
                                  token_type_ids=segs, use_one_hot_embeddings=False, scope="bert")
        dev_logits = tf.nn.bias_add(tf.matmul(bert.get_pooled_output(), tf.get_variable("output_weights"),
                                              transpose_b=True), tf.get_variable("output_bias"))
    dev_features = run_classifier.convert_examples_to_features(dev, s["labels"], s["max_seq_length"], tokenizer)
    gold = np.array([f.label_id for f in dev_features])
    accuracies = []
    with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        for step in range(total):
            session.run(train_op)
            if (step + 1) % steps_per_epoch == 0 or step + 1 == total:
                predictions = []
                for start in range(0, len(dev_features), 256):
                    chunk = dev_features[start:start + 256]
                    predictions.append(session.run(dev_logits, {
                        ids: [f.input_ids for f in chunk], mask: [f.input_mask for f in chunk],
                        segs: [f.segment_ids for f in chunk]}).argmax(-1))
                accuracies.append(float((np.concatenate(predictions) == gold).mean()))
                print(f"step {step + 1}/{total}: dev accuracy {accuracies[-1]:.4f}", flush=True)
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump({"dev_accuracy_per_epoch": accuracies}, f)


def pretraining_data(input_file, vocab_file, output_file, seed, max_seq, max_pred, dupe):
    import random

    tf = install_tf1_shims()
    from absl import flags
    from bert import create_pretraining_data as cpd
    from bert import tokenization

    flags.FLAGS.mark_as_parsed()
    if not hasattr(tf, "python_io"):
        tf.python_io = tf.io
    tf.logging.set_verbosity(tf.logging.ERROR)
    tokenizer = tokenization.FullTokenizer(vocab_file, do_lower_case=True)
    rng = random.Random(int(seed))
    instances = cpd.create_training_instances(
        [input_file], tokenizer, int(max_seq), int(dupe), 0.1, 0.15, int(max_pred), rng)
    cpd.write_instance_to_example_files(instances, tokenizer, int(max_seq), int(max_pred), [output_file])


def read_records(records, max_seq, max_pred, out_path):
    import numpy as np

    tf = install_tf1_shims()
    from absl import flags
    from bert import run_pretraining

    flags.FLAGS.mark_as_parsed()
    tf.disable_eager_execution()
    input_fn = run_pretraining.input_fn_builder([records], int(max_seq), int(max_pred), is_training=False)
    dataset = input_fn({"batch_size": 1000})
    features = tf.data.make_one_shot_iterator(dataset).get_next()
    with tf.Session() as session:
        values = session.run(features)
    np.savez(out_path, **values)


def split_step_increment(train_op):
    """create_optimizer's train op as (the update, the global_step increment), to run in order.

    Google groups `global_step.assign(global_step + 1)` with the update and nothing orders it
    after the schedule's read of global_step, so under CPU contention a step can use the next
    step's learning rate (runs differed by 1.7e-3 after 50 steps); run apart, every step uses
    its own rate, as an uncontended session does.
    """
    parts = list(train_op.control_inputs)
    increments = [op for op in parts if op.type in ("Assign", "AssignVariableOp")]
    assert len(increments) == 1 and len(parts) == 2, [op.type for op in parts]
    return [op for op in parts if op is not increments[0]][0], increments[0]


def optimizer(inputs_file, out_file, kind="adamw"):
    import numpy as np

    tf = install_tf1_shims()
    from absl import flags
    from bert import optimization

    flags.FLAGS.mark_as_parsed()
    tf.disable_eager_execution()
    data = np.load(inputs_file)
    names = [str(n) for n in data["names"]]
    variables = [tf.get_variable(n, initializer=data[f"init/{n}"]) for n in names]
    feeds = [tf.placeholder(tf.float32, v.shape) for v in variables]
    loss = tf.add_n([tf.reduce_sum(v * g) for v, g in zip(variables, feeds)])  # d loss / d v = g
    captured = {}
    if kind == "lamb":
        import tensorflow

        sys.modules["tensorflow"] = tf  # the ALBERT wheel imports TF2's name for TF1's API
        try:
            from albert.lamb_optimizer import LAMBOptimizer
        finally:
            sys.modules["tensorflow"] = tensorflow

        def build(learning_rate, **kwargs):  # what ALBERT's create_optimizer builds for "lamb"
            captured["learning_rate"] = learning_rate
            return LAMBOptimizer(learning_rate=learning_rate, **kwargs)

        optimization.AdamWeightDecayOptimizer = build
    else:
        original = optimization.AdamWeightDecayOptimizer.__init__

        def init(self, learning_rate, **kwargs):  # records the schedule's tensor
            captured["learning_rate"] = learning_rate
            original(self, learning_rate, **kwargs)

        optimization.AdamWeightDecayOptimizer.__init__ = init
    train_op = optimization.create_optimizer(loss, float(data["learning_rate"]), int(data["total_steps"]),
                                             int(data["warmup_steps"]), use_tpu=False)
    update, increment = split_step_increment(train_op)
    rates, values = [], []
    with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        for step in range(data["gradients/" + names[0]].shape[0]):
            feed = {f: data[f"gradients/{n}"][step] for f, n in zip(feeds, names)}
            rates.append(session.run(captured["learning_rate"]))
            session.run(update, feed)
            session.run(increment)
            values.append(session.run(variables))
    np.savez(out_file, learning_rates=np.array(rates),
             **{f"after/{n}": np.stack([v[i] for v in values]) for i, n in enumerate(names)})


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"tokenize": tokenize, "encode": encode, "model": model, "pretraining_data": pretraining_data,
     "read_records": read_records, "optimizer": optimizer, "classifier_step": classifier_step,
     "finetune": finetune}[command](*args)
