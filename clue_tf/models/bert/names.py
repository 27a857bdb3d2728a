"""BERT's weight names in each dialect it is published in, as rows of `clue_tf/rows.py`.

google: Google's TF1 names (`bert/encoder/layer_3/attention/self/query/kernel`), kernels
[in, out], attention kernels flat, `output_weights` stored [out, in].
hf: HF's PyTorch keys (`bert.encoder.layer.3.attention.self.query.weight`), Linear weights
[out, in]; also what `tf_model.h5` becomes after HF's own renaming.
uer: UER-py's keys (`encoder.transformer.3.self_attn.linear_layers.0.weight`); its segment
table has a padding row 0 in front of the two segment rows.
keras_hub: keras-hub's BertBackbone / BertMaskedLM weight paths (presets).
keras-hub's attention keeps per-head kernels ([H, heads, head_dim]); layouts flatten them.
"""

import re

from clue_tf.rows import (
    COPY, HEADS_BIAS, HEADS_IN, HEADS_OUT, HF_HEADS_IN, HF_HEADS_OUT, LINEAR, TRANSPOSED, Layout, Row,
)

# Our Keras weight paths, by role.
EMBEDDING_PATHS = {"word": "token_embedding/embeddings", "segment": "segment_embedding/embeddings",
               "position": "position_embedding/embeddings", "norm_gamma": "embeddings_layer_norm/gamma",
               "norm_beta": "embeddings_layer_norm/beta"}
LAYER_PATHS = {
    "q_kernel": "self_attention_layer/query/kernel", "q_bias": "self_attention_layer/query/bias",
    "k_kernel": "self_attention_layer/key/kernel", "k_bias": "self_attention_layer/key/bias",
    "v_kernel": "self_attention_layer/value/kernel", "v_bias": "self_attention_layer/value/bias",
    "o_kernel": "self_attention_layer/attention_output/kernel", "o_bias": "self_attention_layer/attention_output/bias",
    "attention_norm_gamma": "self_attention_layer_norm/gamma", "attention_norm_beta": "self_attention_layer_norm/beta",
    "ffn_in_kernel": "feedforward_intermediate_dense/kernel", "ffn_in_bias": "feedforward_intermediate_dense/bias",
    "ffn_out_kernel": "feedforward_output_dense/kernel", "ffn_out_bias": "feedforward_output_dense/bias",
    "ffn_norm_gamma": "feedforward_layer_norm/gamma", "ffn_norm_beta": "feedforward_layer_norm/beta",
}
POOLER_PATHS = {"pooler_kernel": "pooled_dense/kernel", "pooler_bias": "pooled_dense/bias"}
MASKED_LM_PATHS = {"mlm_kernel": "masked_lm_head/intermediate_dense/kernel",
              "mlm_bias": "masked_lm_head/intermediate_dense/bias",
              "mlm_norm_gamma": "masked_lm_head/intermediate_layer_norm/gamma",
              "mlm_norm_beta": "masked_lm_head/intermediate_layer_norm/beta",
              "mlm_output_bias": "masked_lm_head/output_bias"}
NEXT_SENTENCE_PATHS = {"nsp_kernel": "next_sentence_head/kernel", "nsp_bias": "next_sentence_head/bias"}
CLASSIFIER_PATHS = {"classifier_kernel": "classifier_head/kernel", "classifier_bias": "classifier_head/bias"}

# role -> (name, layout) per dialect; "{i}" is the layer index.
_NAMES = {
    "google": {
        "word": ("bert/embeddings/word_embeddings", COPY),
        "segment": ("bert/embeddings/token_type_embeddings", COPY),
        "position": ("bert/embeddings/position_embeddings", COPY),
        "norm_gamma": ("bert/embeddings/LayerNorm/gamma", COPY),
        "norm_beta": ("bert/embeddings/LayerNorm/beta", COPY),
        "q_kernel": ("bert/encoder/layer_{i}/attention/self/query/kernel", HEADS_IN),
        "q_bias": ("bert/encoder/layer_{i}/attention/self/query/bias", HEADS_BIAS),
        "k_kernel": ("bert/encoder/layer_{i}/attention/self/key/kernel", HEADS_IN),
        "k_bias": ("bert/encoder/layer_{i}/attention/self/key/bias", HEADS_BIAS),
        "v_kernel": ("bert/encoder/layer_{i}/attention/self/value/kernel", HEADS_IN),
        "v_bias": ("bert/encoder/layer_{i}/attention/self/value/bias", HEADS_BIAS),
        "o_kernel": ("bert/encoder/layer_{i}/attention/output/dense/kernel", HEADS_OUT),
        "o_bias": ("bert/encoder/layer_{i}/attention/output/dense/bias", COPY),
        "attention_norm_gamma": ("bert/encoder/layer_{i}/attention/output/LayerNorm/gamma", COPY),
        "attention_norm_beta": ("bert/encoder/layer_{i}/attention/output/LayerNorm/beta", COPY),
        "ffn_in_kernel": ("bert/encoder/layer_{i}/intermediate/dense/kernel", COPY),
        "ffn_in_bias": ("bert/encoder/layer_{i}/intermediate/dense/bias", COPY),
        "ffn_out_kernel": ("bert/encoder/layer_{i}/output/dense/kernel", COPY),
        "ffn_out_bias": ("bert/encoder/layer_{i}/output/dense/bias", COPY),
        "ffn_norm_gamma": ("bert/encoder/layer_{i}/output/LayerNorm/gamma", COPY),
        "ffn_norm_beta": ("bert/encoder/layer_{i}/output/LayerNorm/beta", COPY),
        "pooler_kernel": ("bert/pooler/dense/kernel", COPY),
        "pooler_bias": ("bert/pooler/dense/bias", COPY),
        "mlm_kernel": ("cls/predictions/transform/dense/kernel", COPY),
        "mlm_bias": ("cls/predictions/transform/dense/bias", COPY),
        "mlm_norm_gamma": ("cls/predictions/transform/LayerNorm/gamma", COPY),
        "mlm_norm_beta": ("cls/predictions/transform/LayerNorm/beta", COPY),
        "mlm_output_bias": ("cls/predictions/output_bias", COPY),
        "nsp_kernel": ("cls/seq_relationship/output_weights", TRANSPOSED),
        "nsp_bias": ("cls/seq_relationship/output_bias", COPY),
        "classifier_kernel": ("output_weights", TRANSPOSED),
        "classifier_bias": ("output_bias", COPY),
    },
    "hf": {
        "word": ("bert.embeddings.word_embeddings.weight", COPY),
        "segment": ("bert.embeddings.token_type_embeddings.weight", COPY),
        "position": ("bert.embeddings.position_embeddings.weight", COPY),
        "norm_gamma": ("bert.embeddings.LayerNorm.weight", COPY),
        "norm_beta": ("bert.embeddings.LayerNorm.bias", COPY),
        "q_kernel": ("bert.encoder.layer.{i}.attention.self.query.weight", HF_HEADS_IN),
        "q_bias": ("bert.encoder.layer.{i}.attention.self.query.bias", HEADS_BIAS),
        "k_kernel": ("bert.encoder.layer.{i}.attention.self.key.weight", HF_HEADS_IN),
        "k_bias": ("bert.encoder.layer.{i}.attention.self.key.bias", HEADS_BIAS),
        "v_kernel": ("bert.encoder.layer.{i}.attention.self.value.weight", HF_HEADS_IN),
        "v_bias": ("bert.encoder.layer.{i}.attention.self.value.bias", HEADS_BIAS),
        "o_kernel": ("bert.encoder.layer.{i}.attention.output.dense.weight", HF_HEADS_OUT),
        "o_bias": ("bert.encoder.layer.{i}.attention.output.dense.bias", COPY),
        "attention_norm_gamma": ("bert.encoder.layer.{i}.attention.output.LayerNorm.weight", COPY),
        "attention_norm_beta": ("bert.encoder.layer.{i}.attention.output.LayerNorm.bias", COPY),
        "ffn_in_kernel": ("bert.encoder.layer.{i}.intermediate.dense.weight", LINEAR),
        "ffn_in_bias": ("bert.encoder.layer.{i}.intermediate.dense.bias", COPY),
        "ffn_out_kernel": ("bert.encoder.layer.{i}.output.dense.weight", LINEAR),
        "ffn_out_bias": ("bert.encoder.layer.{i}.output.dense.bias", COPY),
        "ffn_norm_gamma": ("bert.encoder.layer.{i}.output.LayerNorm.weight", COPY),
        "ffn_norm_beta": ("bert.encoder.layer.{i}.output.LayerNorm.bias", COPY),
        "pooler_kernel": ("bert.pooler.dense.weight", LINEAR),
        "pooler_bias": ("bert.pooler.dense.bias", COPY),
        "mlm_kernel": ("cls.predictions.transform.dense.weight", LINEAR),
        "mlm_bias": ("cls.predictions.transform.dense.bias", COPY),
        "mlm_norm_gamma": ("cls.predictions.transform.LayerNorm.weight", COPY),
        "mlm_norm_beta": ("cls.predictions.transform.LayerNorm.bias", COPY),
        "mlm_output_bias": ("cls.predictions.bias", COPY),
        "nsp_kernel": ("cls.seq_relationship.weight", LINEAR),
        "nsp_bias": ("cls.seq_relationship.bias", COPY),
        "classifier_kernel": ("classifier.weight", LINEAR),
        "classifier_bias": ("classifier.bias", COPY),
    },
    "uer": {
        "word": ("embedding.word.embedding.weight", COPY),
        "segment": ("embedding.seg.embedding.weight", Layout(pad_rows=1)),
        "position": ("embedding.pos.embedding.weight", COPY),
        "norm_gamma": ("embedding.layer_norm.gamma", COPY),
        "norm_beta": ("embedding.layer_norm.beta", COPY),
        "q_kernel": ("encoder.transformer.{i}.self_attn.linear_layers.0.weight", HF_HEADS_IN),
        "q_bias": ("encoder.transformer.{i}.self_attn.linear_layers.0.bias", HEADS_BIAS),
        "k_kernel": ("encoder.transformer.{i}.self_attn.linear_layers.1.weight", HF_HEADS_IN),
        "k_bias": ("encoder.transformer.{i}.self_attn.linear_layers.1.bias", HEADS_BIAS),
        "v_kernel": ("encoder.transformer.{i}.self_attn.linear_layers.2.weight", HF_HEADS_IN),
        "v_bias": ("encoder.transformer.{i}.self_attn.linear_layers.2.bias", HEADS_BIAS),
        "o_kernel": ("encoder.transformer.{i}.self_attn.final_linear.weight", HF_HEADS_OUT),
        "o_bias": ("encoder.transformer.{i}.self_attn.final_linear.bias", COPY),
        "attention_norm_gamma": ("encoder.transformer.{i}.layer_norm_1.gamma", COPY),
        "attention_norm_beta": ("encoder.transformer.{i}.layer_norm_1.beta", COPY),
        "ffn_in_kernel": ("encoder.transformer.{i}.feed_forward.linear_1.weight", LINEAR),
        "ffn_in_bias": ("encoder.transformer.{i}.feed_forward.linear_1.bias", COPY),
        "ffn_out_kernel": ("encoder.transformer.{i}.feed_forward.linear_2.weight", LINEAR),
        "ffn_out_bias": ("encoder.transformer.{i}.feed_forward.linear_2.bias", COPY),
        "ffn_norm_gamma": ("encoder.transformer.{i}.layer_norm_2.gamma", COPY),
        "ffn_norm_beta": ("encoder.transformer.{i}.layer_norm_2.beta", COPY),
        "pooler_kernel": ("target.sp.linear_1.weight", LINEAR),
        "pooler_bias": ("target.sp.linear_1.bias", COPY),
        "mlm_kernel": ("target.mlm.linear_1.weight", LINEAR),
        "mlm_bias": ("target.mlm.linear_1.bias", COPY),
        "mlm_norm_gamma": ("target.mlm.layer_norm.gamma", COPY),
        "mlm_norm_beta": ("target.mlm.layer_norm.beta", COPY),
        "mlm_output_bias": ("target.mlm.linear_2.bias", COPY),
        "nsp_kernel": ("target.sp.linear_2.weight", LINEAR),
        "nsp_bias": ("target.sp.linear_2.bias", COPY),
        # UER's classifier (output_layer_1/2 on pooled tokens) is another architecture: no rows.
    },
}

# keras-hub's own BertBackbone / BertMaskedLM weight paths (presets): ours, but its MLM
# head is called mlm_head. It has no NSP head, and its classifier is another model.
_NAMES["keras_hub"] = {
    role: (path.replace("masked_lm_head/", "mlm_head/"), COPY)
    for roles in (EMBEDDING_PATHS, POOLER_PATHS, MASKED_LM_PATHS) for role, path in roles.items()}
_NAMES["keras_hub"].update({role: ("transformer_layer_{i}/" + path, COPY) for role, path in LAYER_PATHS.items()})

# Tied copies a file may carry beside the weight they repeat.
ALIASES = {
    "google": {},
    "hf": {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
           "cls.predictions.decoder.bias": "cls.predictions.bias"},
    "uer": {"target.mlm.linear_2.weight": "embedding.word.embedding.weight"},
    "keras_hub": {},
}

# Older spellings, renamed on reading: HF's gamma/beta LayerNorms, UER-py before 2021.
_UER_RENAMES = [(r"^embedding\.word_embedding\.", "embedding.word.embedding."),
                (r"^embedding\.position_embedding\.", "embedding.pos.embedding."),
                (r"^embedding\.segment_embedding\.", "embedding.seg.embedding."),
                (r"^target\.mlm_linear_([12])\.", r"target.mlm.linear_\1."),
                (r"^target\.layer_norm\.", "target.mlm.layer_norm."),
                (r"^target\.(nsp|sp|sop)_linear_([12])\.", r"target.sp.linear_\2.")]


def hf_canonical_name(name: str, prefix: str, bare: tuple) -> str:
    """An HF key of a BERT-shaped family in the rows' spelling: old LayerNorm gamma/beta renamed,
    keys saved from the bare model (starting with one of `bare`) given the `prefix`."""
    if "LayerNorm" in name:
        name = re.sub(r"\.gamma$", ".weight", re.sub(r"\.beta$", ".bias", name))
    return prefix + name if name.startswith(bare) else name


def canonical_name(name: str, dialect: str) -> str:
    """`name` in the spelling the rows use (old HF/UER spellings renamed)."""
    if dialect == "hf":
        name = hf_canonical_name(name, "bert.", ("embeddings.", "encoder.", "pooler."))  # saved from BertModel
    elif dialect == "uer":
        for pattern, replacement in _UER_RENAMES:
            name = re.sub(pattern, replacement, name)
    return name


def bert_rows(num_layers: int, dialect: str) -> list[Row]:
    """Every row of a BERT encoder with `num_layers` layers and all heads, in `dialect`."""
    names = _NAMES[dialect]

    def rows(roles: dict, head=None, optional=False, layer=None):
        out = []
        for role, path in roles.items():
            if role not in names:
                continue
            name, layout = names[role]
            if layer is not None:
                name, path = name.format(i=layer), f"transformer_layer_{layer}/{path}"
            out.append(Row(name, path, layout, head=head, optional=optional))
        return out

    result = rows(EMBEDDING_PATHS)
    for i in range(num_layers):
        result += rows(LAYER_PATHS, layer=i)
    result += rows(POOLER_PATHS, optional=True)
    result += rows(MASKED_LM_PATHS, head="masked_lm")
    result += rows(NEXT_SENTENCE_PATHS, head="next_sentence")
    result += rows(CLASSIFIER_PATHS, head="classifier")
    return result
