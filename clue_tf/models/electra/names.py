"""ELECTRA's weight names in Google's TF1 layout and HF's, as rows of `clue_tf/rows.py`.

google: Google's `run_pretraining.py` checkpoint, which HFL's and CLUE's Chinese ELECTRAs
use too: the discriminator under `electra/` (BERT's names, `embeddings_project` when E != H),
`discriminator_predictions/dense{,_1}`, and the generator under `generator/` (its encoder
layers and projection; it shares `electra/embeddings`) with `generator_predictions/`.
hf: `ElectraForPreTraining` / `ElectraModel` keys (`electra.` + BERT's); HF keeps the
generator in its own folder (`ElectraForMaskedLM`) and its classifier is another head, so
neither has rows here. Our masked_lm head is the generator; replaced_token the discriminator's.
"""

from clue_tf.models.bert import names as bert_names
from clue_tf.models.electra.config import ElectraConfig
from clue_tf.rows import COPY, LINEAR, TRANSPOSED, Row

_PREFIX = {"google": ("bert/", "electra/"), "hf": ("bert.", "electra.")}
_PROJECTION = {"google": ("electra/embeddings_project/kernel", COPY, "electra/embeddings_project/bias"),
               "hf": ("electra.embeddings_project.weight", LINEAR, "electra.embeddings_project.bias")}
_REPLACED_TOKEN = {
    "google": [("discriminator_predictions/dense/kernel", "replaced_token_dense/kernel", COPY),
               ("discriminator_predictions/dense/bias", "replaced_token_dense/bias", COPY),
               ("discriminator_predictions/dense_1/kernel", "replaced_token_logits/kernel", COPY),
               ("discriminator_predictions/dense_1/bias", "replaced_token_logits/bias", COPY)],
    "hf": [("discriminator_predictions.dense.weight", "replaced_token_dense/kernel", LINEAR),
           ("discriminator_predictions.dense.bias", "replaced_token_dense/bias", COPY),
           ("discriminator_predictions.dense_prediction.weight", "replaced_token_logits/kernel", LINEAR),
           ("discriminator_predictions.dense_prediction.bias", "replaced_token_logits/bias", COPY)],
}
_GENERATOR_HEAD = [("generator_predictions/dense/kernel", "masked_lm_head/intermediate_dense/kernel"),
                   ("generator_predictions/dense/bias", "masked_lm_head/intermediate_dense/bias"),
                   ("generator_predictions/LayerNorm/gamma", "masked_lm_head/intermediate_layer_norm/gamma"),
                   ("generator_predictions/LayerNorm/beta", "masked_lm_head/intermediate_layer_norm/beta"),
                   ("generator_predictions/output_bias", "masked_lm_head/output_bias")]
GENERATOR_LAYER = "generator/encoder/layer_{i}/"  # + BERT's per-layer names after bert/encoder/layer_{i}/
DIALECTS = tuple(_PREFIX)
ALIASES = {"google": {}, "hf": {}}


def _bert_role_rows(dialect: str, roles: dict, layer=None) -> list[Row]:
    """BERT's rows for `roles` under ELECTRA's prefix."""
    names = bert_names._NAMES[dialect]
    old, new = _PREFIX[dialect]
    rows = []
    for role, path in roles.items():
        name, layout = names[role]
        if layer is not None:
            name, path = name.format(i=layer), f"transformer_layer_{layer}/{path}"
        rows.append(Row(new + name[len(old):], path, layout))
    return rows


def _generator_rows(config: ElectraConfig) -> list[Row]:
    google = bert_names._NAMES["google"]
    rows = []
    if config.embedding_size != config.generator_hidden_size:
        rows += [Row("generator/embeddings_project/kernel", "generator_projection/kernel", head="masked_lm"),
                 Row("generator/embeddings_project/bias", "generator_projection/bias", head="masked_lm")]
    for i in range(config.generator_num_hidden_layers):
        for role, path in bert_names.LAYER_PATHS.items():
            name, layout = google[role]
            suffix = name.format(i=i).split(f"layer_{i}/", 1)[1]
            rows.append(Row(GENERATOR_LAYER.format(i=i) + suffix, f"generator_layer_{i}/{path}", layout,
                            head="masked_lm"))
    rows += [Row(name, path, head="masked_lm") for name, path in _GENERATOR_HEAD]
    return rows


def electra_rows(config: ElectraConfig, dialect: str) -> list[Row]:
    """Every row of an ELECTRA model of `config` with all the heads `dialect` has names for."""
    rows = _bert_role_rows(dialect, bert_names.EMBEDDING_PATHS)
    if config.embedding_size != config.hidden_size:
        kernel, layout, bias = _PROJECTION[dialect]
        rows += [Row(kernel, "embedding_projection/kernel", layout), Row(bias, "embedding_projection/bias")]
    for i in range(config.num_hidden_layers):
        rows += _bert_role_rows(dialect, bert_names.LAYER_PATHS, layer=i)
    rows += [Row(name, path, layout, head="replaced_token") for name, path, layout in _REPLACED_TOKEN[dialect]]
    if dialect == "google":
        if config.generator_hidden_size:
            rows += _generator_rows(config)
        rows += [Row("output_weights", "classifier_head/kernel", TRANSPOSED, head="classifier"),
                 Row("output_bias", "classifier_head/bias", head="classifier")]
    return rows


def canonical_name(name: str, dialect: str) -> str:
    """HF keys saved from the bare model get the `electra.` prefix; old LayerNorm spellings renamed."""
    if dialect != "hf":
        return name
    return bert_names.hf_canonical_name(name, "electra.", ("embeddings.", "encoder.", "embeddings_project."))


def generator_sizes(shapes: dict) -> dict:
    """The generator's config fields read from a Google checkpoint's shapes (empty: none)."""
    query = GENERATOR_LAYER.format(i=0) + "attention/self/query/kernel"
    if query not in shapes:
        return {}
    layers = 0
    while GENERATOR_LAYER.format(i=layers) + "attention/self/query/kernel" in shapes:
        layers += 1
    return {"generator_hidden_size": int(shapes[query][1]), "generator_num_hidden_layers": layers,
            "generator_intermediate_size": int(shapes[GENERATOR_LAYER.format(i=0) + "intermediate/dense/kernel"][1])}
