"""The ELECTRA family record: Google's TF1 layout (Google, HFL, CLUE releases) and HF's names."""

import dataclasses
import logging
from typing import Iterable, Optional

from clue_tf.errors import CheckpointError
from clue_tf.models.electra import names as electra_names
from clue_tf.models.electra.config import ElectraConfig
from clue_tf.models.encoder_family import EncoderFamily

logger = logging.getLogger(__name__)

_GOOGLE_MARK = "electra/encoder/layer_0/attention/self/query/kernel"
_HF_MARKS = {"electra.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"}
_HF_GENERATOR = ("generator_predictions.", "generator_lm_head.")
# Config fields the tables decide, by (role path, axis).
_SHAPE_FIELDS = {"vocab_size": ("token_embedding/embeddings", 0), "embedding_size": ("token_embedding/embeddings", 1),
                 "type_vocab_size": ("segment_embedding/embeddings", 0),
                 "max_position_embeddings": ("position_embedding/embeddings", 0)}


class ElectraFamily(EncoderFamily):
    """The discriminator is the encoder; masked_lm is the generator, replaced_token the
    discriminator's head, classifier Google's fine-tuning head."""

    name = "electra"
    description = "ELECTRA discriminator + generator (Google, HFL Chinese-ELECTRA, CLUE ELECTRA)"
    heads = ("masked_lm", "replaced_token", "classifier")
    config_dialects = ("google", "hf")
    hf_class_prefix = "Electra"
    hf_head_classes = {(): "Model", ("replaced_token",): "ForPreTraining"}  # HF's other heads are other architectures
    tf1_dialect = "google"
    objective_kind = "replaced_token"
    bundle_config_names = ("electra_config.json", "*discriminator_config.json", "electra*config*.json")
    bundle_files = ("electra_model.ckpt", "electra_config.json")

    def claims_config(self, values: dict) -> Optional[str]:
        if "model_type" in values:
            return "hf" if values["model_type"] == "electra" else None
        if "num_hidden_layers" in values and values.get("model_family") == "electra":
            return "google"
        return None

    def accepts_config(self, values: dict, dialect: str) -> bool:
        """A BERT-like JSON beside ELECTRA weights (HFL's and CLUE's bundles) is ELECTRA's."""
        return dialect == "google" and "num_hidden_groups" not in values

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        names = set(names)
        if _GOOGLE_MARK in names:
            return "google"
        # HF's names; a bare ElectraModel with E == H has BERT's names without a pooler, which the
        # config (model_type electra) has already decided; other families' marks rule it out.
        others = ("bert.", "pooler.", "albert.", "encoder.albert", "roformer.", "ernie.", "cls.")
        if kind != "tf1" and names & _HF_MARKS and not any(n.startswith(others) for n in names) and not any(
                "embed_positions" in n or "task_type_embeddings" in n for n in names):
            return "hf"
        return None

    def canonical_name(self, name: str, dialect: str) -> str:
        return electra_names.canonical_name(name, dialect)

    def read_config(self, values: dict, dialect: str, source: str) -> ElectraConfig:
        values = {k: v for k, v in values.items() if k != "model_family"}
        return ElectraConfig.from_dict(values, source=source, dialect=dialect)

    def config_dict(self, config: ElectraConfig, dialect: str) -> dict:
        values = config.to_dict(dialect)
        if dialect == "google":
            values["model_family"] = "electra"  # BERT-like otherwise: say whose it is
        return values

    def fit_config(self, config: ElectraConfig, shapes: dict, dialect: str, source: str) -> ElectraConfig:
        """Table sizes and E from the weights; the generator's sizes from a Google checkpoint's."""
        if dialect == "hf":
            generator = sorted(n for n in shapes if n.startswith(_HF_GENERATOR))
            if generator and not any(n.startswith("discriminator_predictions.") for n in shapes):
                raise CheckpointError(f"{source}: an ELECTRA generator (ElectraForMaskedLM: {generator[0]}, ...), "
                                      "where the discriminator is expected; the encoder to fine-tune and serve is "
                                      "the discriminator (HFL's *-discriminator folder)")
        rows = {row.keras: row for row in electra_names.electra_rows(config, dialect)}
        changes = {}
        for field_name, (path, axis) in _SHAPE_FIELDS.items():
            name = rows[path].name
            if name in shapes and int(shapes[name][axis]) != getattr(config, field_name):
                size = int(shapes[name][axis])
                if field_name != "embedding_size" or config.embedding_size != config.hidden_size:
                    logger.warning("%s: %s is %s but the checkpoint's %s says %d; using %d", source, field_name,
                                   getattr(config, field_name), name, size, size)
                changes[field_name] = size
        if dialect == "google":
            sizes = electra_names.generator_sizes(shapes)
            changes.update({k: v for k, v in sizes.items() if v != getattr(config, k)})
        if not changes:
            return config
        fitted = dataclasses.replace(config, **changes)
        fitted.validate(source)
        return fitted

    def pretraining_config(self, config: ElectraConfig) -> ElectraConfig:
        """Google's generator when the config names none: a quarter of the width, every layer
        (configure_pretraining.py's generator_hidden_size 0.25, generator_layers 1.0)."""
        if config.generator_hidden_size:
            return config
        hidden = int(round(config.hidden_size * 0.25))
        logger.info("no generator in the config: Google's default, hidden size %d, %d layers", hidden,
                    config.num_hidden_layers)
        return dataclasses.replace(config, generator_hidden_size=hidden,
                                   generator_num_hidden_layers=config.num_hidden_layers,
                                   generator_intermediate_size=4 * hidden)

    def encoder_class(self):
        from clue_tf.models.electra.backbone import ElectraEncoder

        return ElectraEncoder

    def build_encoder(self, config: ElectraConfig, dtype=None, **options):
        return self.encoder_class().from_electra_config(config, dtype=dtype, **options)

    def build(self, config: ElectraConfig, heads: tuple = (), num_labels: Optional[int] = None, dtype=None,
              first_token_only: bool = False):
        from clue_tf.models.electra.heads import electra_with_heads

        encoder = self.build_encoder(config, dtype, **self.first_token_option(heads, first_token_only))
        if not heads:
            return encoder
        return electra_with_heads(encoder, config, tuple(heads), num_labels)

    def encoder_config(self, encoder) -> ElectraConfig:
        return encoder.electra_config()

    def config_from_model(self, model):
        from clue_tf.models.backbones import find_encoder
        from clue_tf.models.electra.heads import generator_config_of

        encoder = find_encoder(model, required=False)
        if not isinstance(encoder, self.encoder_class()):
            return None
        return encoder.electra_config(generator_config_of(model))

    def keras_hub_problems(self, config, allow_gelu_approximation: bool = False) -> list[str]:
        return ["keras-hub's ElectraBackbone adds a tanh pooler Google's ELECTRA has not"]

    def rows(self, config: ElectraConfig, dialect: str) -> list:
        return electra_names.electra_rows(config, dialect)

    def aliases(self, dialect: str) -> dict:
        return electra_names.ALIASES[dialect]

    def count_parameters(self, config: ElectraConfig) -> int:
        """Discriminator encoder parameters (no pooler; no heads)."""
        e, h, i = config.embedding_size, config.hidden_size, config.intermediate_size
        embeddings = (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * e + 2 * e
        if e != h:
            embeddings += e * h + h
        layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
        return embeddings + config.num_hidden_layers * layer

    def describe(self, config: ElectraConfig) -> str:
        generator = (f" with a {config.generator_num_hidden_layers}-layer generator"
                     if config.generator_hidden_size else "")
        return f"a {config.num_hidden_layers}-layer ELECTRA discriminator{generator}"


ELECTRA = ElectraFamily()
