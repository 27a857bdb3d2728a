"""The BERT family record: Google, HF and UER dialects of one post-LN encoder with Google's heads."""

import logging
from typing import Iterable, Optional

from clue_tf.families import Family
from clue_tf.models.bert import names as bert_names
from clue_tf.models.bert.config import BertConfig

logger = logging.getLogger(__name__)

# keras-hub BertBackbone config keys -> ours (keras-hub's backbone is tanh-GELU only).
_KERAS_HUB_FIELDS = {"vocabulary_size": "vocab_size", "num_layers": "num_hidden_layers",
                     "num_heads": "num_attention_heads", "hidden_dim": "hidden_size",
                     "intermediate_dim": "intermediate_size", "dropout": "hidden_dropout_prob",
                     "max_sequence_length": "max_position_embeddings", "num_segments": "type_vocab_size"}
# Config fields the checkpoint decides (releases get them wrong), by embedding role.
_SHAPE_FIELDS = {"vocab_size": "word", "type_vocab_size": "segment", "max_position_embeddings": "position"}


class BertFamily(Family):
    name = "bert"
    description = "BERT / RoBERTa encoder (Google, CLUE, UER)"
    heads = ("masked_lm", "next_sentence", "classifier")
    config_dialects = ("google", "hf", "uer")
    tf1_dialect = "google"
    native_format = "bundle"
    bundle_config_names = ("bert_config.json", "bert_config*.json", "*config*.json")
    bundle_files = ("bert_model.ckpt", "bert_config.json")

    def claims_config(self, values: dict) -> Optional[str]:
        if values.get("class_name") == "BertBackbone":
            return "keras_hub"
        if "model_type" in values:
            return "hf" if values["model_type"] == "bert" else None
        if "layers_num" in values and values.get("encoder", "transformer") == "transformer":
            return "uer"
        if "num_hidden_layers" in values and not {"embedding_size", "num_hidden_groups"} & set(values):
            return "google"
        return None

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        names = set(names)
        if kind == "keras_hub":
            return "keras_hub" if "transformer_layer_0/self_attention_layer/query/kernel" in names else None
        if "bert/encoder/layer_0/attention/self/query/kernel" in names:
            return "google"
        if names & {"embedding.word.embedding.weight", "embedding.word_embedding.weight"} and any(
                n.startswith("encoder.transformer.") for n in names):
            return "uer"
        if names & {"bert.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"} and not any(
                n.startswith("bert.encoder.albert_layer_groups") for n in names):
            return "hf"
        return None

    def canonical_name(self, name: str, dialect: str) -> str:
        return bert_names.canonical_name(name, dialect)

    def read_config(self, values: dict, dialect: str, source: str) -> BertConfig:
        if dialect == "keras_hub":
            values = {ours: values["config"][theirs] for theirs, ours in _KERAS_HUB_FIELDS.items()
                      if theirs in values.get("config", {})}
            values["attention_probs_dropout_prob"] = values.get("hidden_dropout_prob", 0.1)
            dialect = "google"  # keras-hub's BertBackbone computes Google's tanh GELU
        return BertConfig.from_dict(values, source=source, dialect=dialect)

    def config_dict(self, config: BertConfig, dialect: str) -> dict:
        return config.to_dict(dialect)

    def fit_config(self, config: BertConfig, shapes: dict, dialect: str, source: str) -> BertConfig:
        """Vocab, segment and position sizes from the embedding tables (warned when the config
        differs: RoBERTa-large-clue says 21128 beside 8,021 rows)."""
        values = config.to_dict("google")
        rows = {row.keras: row for row in bert_names.bert_rows(0, dialect)}
        paths = {"word": "token_embedding/embeddings", "segment": "segment_embedding/embeddings",
                 "position": "position_embedding/embeddings"}
        changed = False
        for field_name, role in _SHAPE_FIELDS.items():
            row = rows[paths[role]]
            if row.name not in shapes:
                continue  # the strict load names it
            size = int(shapes[row.name][0]) - row.layout.pad_rows
            if values[field_name] != size:
                if values[field_name]:  # UER configs have no vocab size to disagree with
                    logger.warning("%s: %s is %s but the checkpoint's %s has %d rows; using %d", source,
                                   field_name, values[field_name], row.name, size, size)
                values[field_name] = size
                changed = True
        return BertConfig.from_dict(values, source=source) if changed else config

    def build(self, config: BertConfig, heads: tuple = (), num_labels: Optional[int] = None, dtype=None):
        from clue_tf.models.bert.backbone import BertEncoder
        from clue_tf.models.bert.heads import bert_classifier, bert_with_heads

        encoder = BertEncoder.from_bert_config(config, dtype=dtype)
        if not heads:
            return encoder
        if tuple(heads) == ("classifier",):
            return bert_classifier(encoder, num_labels or 2)
        return bert_with_heads(encoder, tuple(heads), num_labels)

    def rows(self, config: BertConfig, dialect: str) -> list:
        return bert_names.bert_rows(config.num_hidden_layers, dialect)

    def aliases(self, dialect: str) -> dict:
        return bert_names.ALIASES[dialect]

    def num_labels_in(self, shapes: dict, config: BertConfig, dialect: str) -> Optional[int]:
        for row in self.rows(config, dialect):
            if row.keras == "classifier_head/bias" and row.name in shapes:
                return int(shapes[row.name][0])
        return None

    def config_from_model(self, model) -> Optional[BertConfig]:
        from clue_tf.models.bert.backbone import BertEncoder

        if isinstance(model, BertEncoder):
            return model.bert_config()
        encoder = next((layer for layer in model.layers if isinstance(layer, BertEncoder)), None)
        return encoder.bert_config() if encoder is not None else None

    def count_parameters(self, config: BertConfig) -> int:
        """Encoder + pooler parameters (no MLM/NSP head)."""
        h, i = config.hidden_size, config.intermediate_size
        embeddings = (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * h + 2 * h
        layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
        return embeddings + config.num_hidden_layers * layer + h * h + h

    def write_keras_hub_preset(self, out_dir: str, model, config: BertConfig, vocab_file: str,
                               skip_paths=(), allow_gelu_approximation: bool = False,
                               do_lower_case: bool = True) -> None:
        """A preset plain keras-hub loads whole: its own BertBackbone, BertTokenizer and (when
        the model has a loaded MLM head) BertMaskedLM with our head's weights."""
        import keras_hub

        from clue_tf.checkpoints.rows import dump_rows
        from clue_tf.errors import ClueTfError

        if config.hidden_act != "gelu_tanh" and not (
                config.hidden_act == "gelu_erf" and allow_gelu_approximation):
            raise ClueTfError(
                f"keras-hub's BertBackbone computes tanh-approximate GELU; this model uses "
                f"{config.hidden_act}" + (" (--allow_gelu_approximation writes it anyway)"
                                          if config.hidden_act == "gelu_erf" else ""))
        state = dump_rows(model, self.rows(config, "keras_hub"), skip_paths)
        dropped = sorted({row.head for row in self.rows(config, "google") if row.head}
                         - {"masked_lm"} & set(_built_heads(model, skip_paths)))
        if dropped:
            logger.warning("keras-hub presets hold no %s head; not written", " / ".join(dropped))
        backbone = keras_hub.models.BertBackbone(
            vocabulary_size=config.vocab_size, num_layers=config.num_hidden_layers,
            num_heads=config.num_attention_heads, hidden_dim=config.hidden_size,
            intermediate_dim=config.intermediate_size, dropout=config.hidden_dropout_prob,
            max_sequence_length=config.max_position_embeddings, num_segments=config.type_vocab_size)
        tokenizer = keras_hub.models.BertTokenizer(vocabulary=vocab_file, lowercase=do_lower_case)
        target = backbone
        if "mlm_head/output_bias" in state:
            preprocessor = keras_hub.models.BertMaskedLMPreprocessor(
                tokenizer, sequence_length=min(512, config.max_position_embeddings))
            target = keras_hub.models.BertMaskedLM(backbone, preprocessor)
        weights = {w.path: w for w in target.weights}
        for name, value in state.items():
            weights[name].assign(value)
        target.save_to_preset(out_dir)
        if target is backbone:
            tokenizer.save_to_preset(out_dir)
            return ()
        return ("masked_lm",)

    def objective(self, settings, config, vocab):
        from clue_tf.training.objectives import MaskedLmObjective

        return MaskedLmObjective(settings, self, config, vocab)

    def describe(self, config: BertConfig) -> str:
        return f"a {config.num_hidden_layers}-layer bert model"


def _built_heads(model, skip_paths) -> set:
    """The heads a model has and loaded (by their layers' weight paths)."""
    prefixes = {"masked_lm_head/": "masked_lm", "next_sentence_head/": "next_sentence",
                "classifier_head/": "classifier"}
    skip = set(skip_paths)
    return {head for w in model.weights for prefix, head in prefixes.items()
            if w.path.startswith(prefix) and w.path not in skip}


BERT = BertFamily()
