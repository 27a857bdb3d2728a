"""Google's ALBERT `modeling.py` (PyPI albert-tensorflow==1.1) as a subprocess oracle.

Usage:
  python google_albert.py model CONFIG.json INPUTS.npz OUT_DIR [CHECKPOINT]
      builds modeling.AlbertModel plus run_pretraining.py's masked-LM (H -> E transform,
      tied E-wide table) and sentence-order heads, random init (written to
      OUT_DIR/model.ckpt-best, Google's release prefix) or restored from CHECKPOINT by
      Saver, which must leave no variable uninitialized; writes OUT_DIR/outputs.npz: every
      block's output, pooled output, MLM and SOP log-probabilities, variable names.

The 1.1 wheel imports `tensorflow` (TF2's API) and `tensorflow.contrib`; it runs here
after three adjustments made in this file only: `tensorflow` resolves to
`tensorflow.compat.v1` while modeling.py is imported, `tf.gfile` is aliased, and contrib's
`layer_norm` gets a stand-in (variables LayerNorm/beta, LayerNorm/gamma, epsilon 1e-12).
run_pretraining.py imports contrib's TPU modules, so its two head functions are mirrored
below (same scopes, shapes and ops). Needs TF_USE_LEGACY_KERAS=1 (tf.compat.v1.layers).
"""

import os
import sys


def import_modeling():
    """modeling.py with the shims: TF1 names, contrib's layer_norm (google_bert.py's)."""
    import tensorflow

    from google_bert import install_tf1_shims

    tf = install_tf1_shims()
    sys.modules["tensorflow"] = tf
    try:
        from albert import modeling
    finally:
        sys.modules["tensorflow"] = tensorflow
    return tf, modeling


def gather_indexes(tf, sequence, positions):
    batch, length, width = sequence.shape
    offsets = tf.reshape(tf.range(0, batch, dtype=tf.int32) * length, [-1, 1])
    flat = tf.reshape(positions + offsets, [-1])
    return tf.gather(tf.reshape(sequence, [batch * length, width]), flat)


def model(config_file, inputs_file, out_dir, checkpoint=None):
    import numpy as np

    tf, modeling = import_modeling()
    tf.disable_eager_execution()
    inputs = np.load(inputs_file)
    config = modeling.AlbertConfig.from_json_file(config_file)
    tf.set_random_seed(int(inputs["seed"]))
    albert = modeling.AlbertModel(
        config=config, is_training=False, input_ids=tf.constant(inputs["input_ids"], tf.int32),
        input_mask=tf.constant(inputs["input_mask"], tf.int32),
        token_type_ids=tf.constant(inputs["segment_ids"], tf.int32), use_one_hot_embeddings=False)
    positions = tf.constant(inputs["masked_lm_positions"], tf.int32)
    # run_pretraining.get_masked_lm_output
    with tf.variable_scope("cls/predictions"):
        with tf.variable_scope("transform"):
            x = tf.layers.dense(
                gather_indexes(tf, albert.get_sequence_output(), positions), units=config.embedding_size,
                activation=modeling.get_activation(config.hidden_act),
                kernel_initializer=modeling.create_initializer(config.initializer_range))
            x = modeling.layer_norm(x)
        output_bias = tf.get_variable("output_bias", shape=[config.vocab_size],
                                      initializer=tf.random_normal_initializer(stddev=0.5))
        logits = tf.nn.bias_add(tf.matmul(x, albert.get_embedding_table(), transpose_b=True), output_bias)
        mlm_log_probs = tf.nn.log_softmax(logits, axis=-1)
    # run_pretraining.get_sentence_order_output
    with tf.variable_scope("cls/seq_relationship"):
        weights = tf.get_variable("output_weights", shape=[2, config.hidden_size],
                                  initializer=modeling.create_initializer(config.initializer_range))
        bias = tf.get_variable("output_bias", shape=[2], initializer=tf.random_normal_initializer(stddev=0.5))
        sop_log_probs = tf.nn.log_softmax(
            tf.nn.bias_add(tf.matmul(albert.get_pooled_output(), weights, transpose_b=True), bias), axis=-1)
    saver = tf.train.Saver()
    with tf.Session() as session:
        if checkpoint:
            saver.restore(session, checkpoint)
            uninitialized = session.run(tf.report_uninitialized_variables())
            if len(uninitialized):
                raise SystemExit(f"variables left uninitialized: {uninitialized}")
        else:
            session.run(tf.global_variables_initializer())
            saver.save(session, os.path.join(out_dir, "model.ckpt-best"), write_meta_graph=False)
        layers, pooled, mlm, sop = session.run(
            [albert.get_all_encoder_layers(), albert.get_pooled_output(), mlm_log_probs, sop_log_probs])
    np.savez(os.path.join(out_dir, "outputs.npz"), encoder_outputs=np.stack(layers), pooled_output=pooled,
             masked_lm_log_probs=mlm, next_sentence_log_probs=sop,
             variables=np.array(sorted(v.name[:-2] for v in tf.global_variables())))


if __name__ == "__main__":
    {"model": model}[sys.argv[1]](*sys.argv[2:])
