"""ALBERT's weight names in the dialects it is published in, as rows of `clue_tf/rows.py`.

google: Google's albert_*_zh and brightmart's *_google releases
(`bert/encoder/transformer/group_0/inner_group_0/attention_1/self/query/kernel`, FFN out
nested as `ffn_1/intermediate/output/dense`, LayerNorm / LayerNorm_1 per block).
brightmart: brightmart's own releases (`bert/encoder/layer_shared/...` in BERT's names,
`bert/embeddings/word_embeddings_2` [E, H]).
hf: HF's AlbertForMaskedLM / AlbertForPreTraining keys, Google layout only.
Heads use BERT's names (the SOP head is `cls/seq_relationship`), so the tables share
BERT's Keras paths.
"""

from clue_tf.rows import (
    COPY, HEADS_BIAS, HEADS_IN, HEADS_OUT, HF_HEADS_IN, HF_HEADS_OUT, LINEAR, Row,
)
from clue_tf.models.albert.config import AlbertConfig
from clue_tf.models.bert import names as bert_names
from clue_tf.models.bert.names import (
    CLASSIFIER_PATHS, LAYER_PATHS, MASKED_LM_PATHS, NEXT_SENTENCE_PATHS, POOLER_PATHS,
)

_EMBEDDINGS = {"word": "token_embedding/embeddings", "word_projection": "token_embedding/projection",
               "segment": "segment_embedding/embeddings", "position": "position_embedding/embeddings",
               "norm_gamma": "embeddings_layer_norm/gamma", "norm_beta": "embeddings_layer_norm/beta",
               "mapping_kernel": "embedding_projection/kernel", "mapping_bias": "embedding_projection/bias"}

_GOOGLE_BLOCK = "bert/encoder/transformer/group_{g}/inner_group_{k}/"
_BRIGHTMART_BLOCK = "bert/encoder/layer_shared/"
_HF_BLOCK = "albert.encoder.albert_layer_groups.{g}.albert_layers.{k}."

_NAMES = {
    "google": {
        "word": ("bert/embeddings/word_embeddings", COPY),
        "segment": ("bert/embeddings/token_type_embeddings", COPY),
        "position": ("bert/embeddings/position_embeddings", COPY),
        "norm_gamma": ("bert/embeddings/LayerNorm/gamma", COPY),
        "norm_beta": ("bert/embeddings/LayerNorm/beta", COPY),
        "mapping_kernel": ("bert/encoder/embedding_hidden_mapping_in/kernel", COPY),
        "mapping_bias": ("bert/encoder/embedding_hidden_mapping_in/bias", COPY),
        "q_kernel": (_GOOGLE_BLOCK + "attention_1/self/query/kernel", HEADS_IN),
        "q_bias": (_GOOGLE_BLOCK + "attention_1/self/query/bias", HEADS_BIAS),
        "k_kernel": (_GOOGLE_BLOCK + "attention_1/self/key/kernel", HEADS_IN),
        "k_bias": (_GOOGLE_BLOCK + "attention_1/self/key/bias", HEADS_BIAS),
        "v_kernel": (_GOOGLE_BLOCK + "attention_1/self/value/kernel", HEADS_IN),
        "v_bias": (_GOOGLE_BLOCK + "attention_1/self/value/bias", HEADS_BIAS),
        "o_kernel": (_GOOGLE_BLOCK + "attention_1/output/dense/kernel", HEADS_OUT),
        "o_bias": (_GOOGLE_BLOCK + "attention_1/output/dense/bias", COPY),
        "attention_norm_gamma": (_GOOGLE_BLOCK + "LayerNorm/gamma", COPY),
        "attention_norm_beta": (_GOOGLE_BLOCK + "LayerNorm/beta", COPY),
        "ffn_in_kernel": (_GOOGLE_BLOCK + "ffn_1/intermediate/dense/kernel", COPY),
        "ffn_in_bias": (_GOOGLE_BLOCK + "ffn_1/intermediate/dense/bias", COPY),
        "ffn_out_kernel": (_GOOGLE_BLOCK + "ffn_1/intermediate/output/dense/kernel", COPY),
        "ffn_out_bias": (_GOOGLE_BLOCK + "ffn_1/intermediate/output/dense/bias", COPY),
        "ffn_norm_gamma": (_GOOGLE_BLOCK + "LayerNorm_1/gamma", COPY),
        "ffn_norm_beta": (_GOOGLE_BLOCK + "LayerNorm_1/beta", COPY),
    },
    "brightmart": {
        "word": ("bert/embeddings/word_embeddings", COPY),
        "word_projection": ("bert/embeddings/word_embeddings_2", COPY),
        "segment": ("bert/embeddings/token_type_embeddings", COPY),
        "position": ("bert/embeddings/position_embeddings", COPY),
        "norm_gamma": ("bert/embeddings/LayerNorm/gamma", COPY),
        "norm_beta": ("bert/embeddings/LayerNorm/beta", COPY),
        "q_kernel": (_BRIGHTMART_BLOCK + "attention/self/query/kernel", HEADS_IN),
        "q_bias": (_BRIGHTMART_BLOCK + "attention/self/query/bias", HEADS_BIAS),
        "k_kernel": (_BRIGHTMART_BLOCK + "attention/self/key/kernel", HEADS_IN),
        "k_bias": (_BRIGHTMART_BLOCK + "attention/self/key/bias", HEADS_BIAS),
        "v_kernel": (_BRIGHTMART_BLOCK + "attention/self/value/kernel", HEADS_IN),
        "v_bias": (_BRIGHTMART_BLOCK + "attention/self/value/bias", HEADS_BIAS),
        "o_kernel": (_BRIGHTMART_BLOCK + "attention/output/dense/kernel", HEADS_OUT),
        "o_bias": (_BRIGHTMART_BLOCK + "attention/output/dense/bias", COPY),
        "attention_norm_gamma": (_BRIGHTMART_BLOCK + "attention/output/LayerNorm/gamma", COPY),
        "attention_norm_beta": (_BRIGHTMART_BLOCK + "attention/output/LayerNorm/beta", COPY),
        "ffn_in_kernel": (_BRIGHTMART_BLOCK + "intermediate/dense/kernel", COPY),
        "ffn_in_bias": (_BRIGHTMART_BLOCK + "intermediate/dense/bias", COPY),
        "ffn_out_kernel": (_BRIGHTMART_BLOCK + "output/dense/kernel", COPY),
        "ffn_out_bias": (_BRIGHTMART_BLOCK + "output/dense/bias", COPY),
        "ffn_norm_gamma": (_BRIGHTMART_BLOCK + "output/LayerNorm/gamma", COPY),
        "ffn_norm_beta": (_BRIGHTMART_BLOCK + "output/LayerNorm/beta", COPY),
    },
    "hf": {
        "word": ("albert.embeddings.word_embeddings.weight", COPY),
        "segment": ("albert.embeddings.token_type_embeddings.weight", COPY),
        "position": ("albert.embeddings.position_embeddings.weight", COPY),
        "norm_gamma": ("albert.embeddings.LayerNorm.weight", COPY),
        "norm_beta": ("albert.embeddings.LayerNorm.bias", COPY),
        "mapping_kernel": ("albert.encoder.embedding_hidden_mapping_in.weight", LINEAR),
        "mapping_bias": ("albert.encoder.embedding_hidden_mapping_in.bias", COPY),
        "q_kernel": (_HF_BLOCK + "attention.query.weight", HF_HEADS_IN),
        "q_bias": (_HF_BLOCK + "attention.query.bias", HEADS_BIAS),
        "k_kernel": (_HF_BLOCK + "attention.key.weight", HF_HEADS_IN),
        "k_bias": (_HF_BLOCK + "attention.key.bias", HEADS_BIAS),
        "v_kernel": (_HF_BLOCK + "attention.value.weight", HF_HEADS_IN),
        "v_bias": (_HF_BLOCK + "attention.value.bias", HEADS_BIAS),
        "o_kernel": (_HF_BLOCK + "attention.dense.weight", HF_HEADS_OUT),
        "o_bias": (_HF_BLOCK + "attention.dense.bias", COPY),
        "attention_norm_gamma": (_HF_BLOCK + "attention.LayerNorm.weight", COPY),
        "attention_norm_beta": (_HF_BLOCK + "attention.LayerNorm.bias", COPY),
        "ffn_in_kernel": (_HF_BLOCK + "ffn.weight", LINEAR),
        "ffn_in_bias": (_HF_BLOCK + "ffn.bias", COPY),
        "ffn_out_kernel": (_HF_BLOCK + "ffn_output.weight", LINEAR),
        "ffn_out_bias": (_HF_BLOCK + "ffn_output.bias", COPY),
        "ffn_norm_gamma": (_HF_BLOCK + "full_layer_layer_norm.weight", COPY),
        "ffn_norm_beta": (_HF_BLOCK + "full_layer_layer_norm.bias", COPY),
        "pooler_kernel": ("albert.pooler.weight", LINEAR),
        "pooler_bias": ("albert.pooler.bias", COPY),
        "mlm_kernel": ("predictions.dense.weight", LINEAR),
        "mlm_bias": ("predictions.dense.bias", COPY),
        "mlm_norm_gamma": ("predictions.LayerNorm.weight", COPY),
        "mlm_norm_beta": ("predictions.LayerNorm.bias", COPY),
        "mlm_output_bias": ("predictions.bias", COPY),
        "nsp_kernel": ("sop_classifier.classifier.weight", LINEAR),
        "nsp_bias": ("sop_classifier.classifier.bias", COPY),
        "classifier_kernel": ("classifier.weight", LINEAR),
        "classifier_bias": ("classifier.bias", COPY),
    },
}
# Pooler and heads: BERT's TF1 names in both TF1 dialects.
_TF1_TOP = {role: entry for role, entry in bert_names._NAMES["google"].items()
            if role in {**POOLER_PATHS, **MASKED_LM_PATHS, **NEXT_SENTENCE_PATHS, **CLASSIFIER_PATHS}}
_NAMES["google"].update(_TF1_TOP)
_NAMES["brightmart"].update(_TF1_TOP)
# keras-hub's AlbertBackbone (Google's layout): our own weight paths, no heads.
_NAMES["keras_hub"] = {role: (path, COPY) for role, path in {**_EMBEDDINGS, **POOLER_PATHS}.items()
                       if role != "word_projection"}
_NAMES["keras_hub"].update({role: ("group_{g}_inner_layer_{k}/" + path, COPY) for role, path in LAYER_PATHS.items()})

ALIASES = {"google": {}, "brightmart": {}, "keras_hub": {},
           "hf": {"predictions.decoder.weight": "albert.embeddings.word_embeddings.weight",
                  "predictions.decoder.bias": "predictions.bias"}}


def albert_rows(config: AlbertConfig, dialect: str) -> list[Row]:
    """Every row of an ALBERT encoder with all heads, in `dialect`."""
    names = _NAMES[dialect]

    def rows(roles: dict, head=None, optional=False, g=None, k=None):
        out = []
        for role, path in roles.items():
            if role not in names:
                continue
            name, layout = names[role]
            if g is not None:
                name, path = name.format(g=g, k=k), f"group_{g}_inner_layer_{k}/{path}"
            out.append(Row(name, path, layout, head=head, optional=optional))
        return out

    result = rows(_EMBEDDINGS)
    for g in (config.used_groups() if dialect != "brightmart" else [0]):
        for k in range(config.inner_group_num if dialect != "brightmart" else 1):
            result += rows(LAYER_PATHS, g=g, k=k)
    result += rows(POOLER_PATHS, optional=True)
    result += rows(MASKED_LM_PATHS, head="masked_lm")
    result += rows(NEXT_SENTENCE_PATHS, head="next_sentence")
    result += rows(CLASSIFIER_PATHS, head="classifier")
    return result
