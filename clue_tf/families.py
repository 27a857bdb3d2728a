"""The model families clue-tf knows, and the one place a family name is looked up.

A `Family` says everything the formats, commands and training need about one family: how
its config reads and writes in each dialect, how to build the Keras model (with heads),
its weight rows per naming dialect, how to recognise its checkpoints, its parameter count,
and, as names, its pretraining objective and record kind (the tables from name to code live
in `training/` and `data/`, above the models). Formats (`checkpoints/`) and commands ask this registry and
never compare family names themselves. Adding a family: a folder `models/<name>/` with a
`family.py` defining a Family subclass, one line in `_FAMILY_MODULES`, and its tests.
"""

import difflib
import importlib
import logging
from typing import Iterable, Optional

from clue_tf.errors import CheckpointError, ConfigError

logger = logging.getLogger(__name__)

# family name -> "module:attribute" of its Family instance (imported on first use).
_FAMILY_MODULES = {
    "bert": "clue_tf.models.bert.family:BERT",
    "albert": "clue_tf.models.albert.family:ALBERT",
    "t5": "clue_tf.models.t5.family:T5",
    "pegasus": "clue_tf.models.pegasus.family:PEGASUS",
    "electra": "clue_tf.models.electra.family:ELECTRA",
    "ernie": "clue_tf.models.ernie.family:ERNIE",
    "roformer": "clue_tf.models.roformer.family:ROFORMER",
    "nezha": "clue_tf.models.nezha.family:NEZHA",
}
FAMILY_NAMES = tuple(_FAMILY_MODULES)


class Family:
    """One model family. Subclasses fill in every method; a config is the family's own type."""

    name: str = ""
    description: str = ""
    heads: tuple = ()  # optional heads the family's checkpoints may carry
    config_dialects: tuple = ()  # config dialects it reads: "google", "hf", "uer", ...
    tf1_dialect: Optional[str] = None  # weight dialect of its TF1 checkpoints, if any
    native_format: str = "hf"  # what training exports: "bundle" (Google TF1) or "hf"
    bundle_config_names: tuple = ()  # config file names a TF1 bundle folder holds
    bundle_files: tuple = ("model.ckpt", "config.json")  # (checkpoint prefix, config) a bundle is written as
    objective_kind: str = ""  # how it pretrains: "masked_lm" | "replaced_token" | "seq2seq" (training/objectives.py)
    record_kind: str = ""  # the pretraining records it reads: "masked_lm" | "span_corruption" | "gap_sentences"

    def claims_config(self, values: dict) -> Optional[str]:
        """The config dialect if `values` describes this family's model, else None."""
        raise NotImplementedError

    def accepts_config(self, values: dict, dialect: str) -> bool:
        """Whether a config another family claims describes this family's model when the
        weights are this family's (the BERT-like JSON beside an ELECTRA bundle)."""
        return False

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        """The naming dialect of checkpoint `names` (read from a `kind` file) if they are
        this family's, else None."""
        raise NotImplementedError

    def read_config(self, values: dict, dialect: str, source: str):
        raise NotImplementedError

    def tf1_dialect_for(self, config) -> Optional[str]:
        """The TF1 naming dialect a bundle of this config is written in."""
        return self.tf1_dialect

    def config_dict(self, config, dialect: str) -> dict:
        raise NotImplementedError

    def fit_config(self, config, shapes: dict, dialect: str, source: str):
        """`config` with the sizes the weights decide (vocab rows, ...); default: as is."""
        return config

    def pretraining_config(self, config):
        """`config` completed with what pretraining builds beyond it (ELECTRA: its generator)."""
        return config

    def vocab_size(self, config) -> int:
        return config.vocab_size

    def max_positions(self, config) -> Optional[int]:
        """The longest sequence the model's position table takes; None: no table (relative)."""
        return getattr(config, "max_position_embeddings", None)

    def build(self, config, heads: tuple = (), num_labels: Optional[int] = None, dtype=None,
              first_token_only: bool = False):
        """The model with `heads`. `first_token_only`: a classifier-only model's last layer
        computes the first token alone (models/first_token.py; fine-tuning and evaluation);
        families without that option build the whole layer."""
        raise NotImplementedError

    def rows(self, config, dialect: str) -> list:
        raise NotImplementedError

    def aliases(self, dialect: str) -> dict:
        return {}

    def canonical_name(self, name: str, dialect: str) -> str:
        return name

    def heads_in(self, names: Iterable[str], config, dialect: str) -> tuple:
        """The heads whose weights appear among `names` (a source's own heads)."""
        names = set(names)
        present = {row.head for row in self.rows(config, dialect) if row.head and row.name in names}
        return tuple(h for h in self.heads if h in present)

    def hf_architecture(self, heads: tuple) -> Optional[str]:
        """The transformers class whose weights are the model with `heads` (config.json's
        `architectures`), or None when none is exactly that."""
        return None

    def num_labels_in(self, shapes: dict, config, dialect: str) -> Optional[int]:
        """The classifier's label count a checkpoint carries, if it has one."""
        return None

    def config_from_model(self, model):
        """The config describing a Keras model of this family (for `.keras` files)."""
        raise NotImplementedError

    def count_parameters(self, config) -> int:
        raise NotImplementedError

    def describe(self, config) -> str:
        return f"a {self.name} model of this config"


def get_family(name: str) -> Family:
    """The Family called `name`; a one-line error with a suggestion for an unknown one."""
    if name not in _FAMILY_MODULES:
        close = difflib.get_close_matches(str(name), FAMILY_NAMES, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ConfigError(f"unknown model family {name!r} (known: {', '.join(FAMILY_NAMES)}){hint}")
    module, attribute = _FAMILY_MODULES[name].split(":")
    return getattr(importlib.import_module(module), attribute)


def all_families() -> list[Family]:
    return [get_family(name) for name in FAMILY_NAMES]


def family_of_config(values: dict, source: str) -> tuple[Family, str]:
    """The family and config dialect of a config's values, or a ConfigError naming the file.
    A `model_family` key (clue-tf writes it where the JSON is otherwise BERT's) decides."""
    if "model_family" in values:
        family = get_family(values["model_family"])
        dialect = family.claims_config(values)
        if not dialect:
            raise ConfigError(f"{source}: model_family {values['model_family']!r}, but not a config of that family")
        return family, dialect
    for family in all_families():
        dialect = family.claims_config(values)
        if dialect:
            return family, dialect
    raise ConfigError(f"{source}: not a config of any known model family ({', '.join(FAMILY_NAMES)})")


def family_of_files(values: dict, source: str, names: Optional[list] = None,
                    kind: Optional[str] = None) -> tuple[Family, str]:
    """The config's family, unless the weights are another family's that reads the same
    config (many bundles ship BERT's JSON beside ELECTRA weights): then the weights decide."""
    found, dialect = family_of_config(values, source)
    if not names or found.weight_dialect(names, kind):
        return found, dialect
    for other in all_families():
        if other is not found and other.weight_dialect(names, kind) and other.accepts_config(values, dialect):
            logger.warning("%s: %s config fields beside %s weights; read as %s", source, found.name, other.name,
                           other.description)
            return other, dialect
    return found, dialect


def check_weights_family(family: Family, names: list[str], kind: str, where: str) -> str:
    """The weight dialect of `names` for `family`; if they are another family's, one error
    naming the family found."""
    dialect = family.weight_dialect(names, kind)
    if dialect:
        return dialect
    others = [other.name for other in all_families() if other is not family and other.weight_dialect(names, kind)]
    if others:  # RoFormer's and NEZHA's TF1 names are the same: name every family they fit
        raise CheckpointError(f"{where}: holds {' or '.join(others)} weights, but the config describes "
                              f"a {family.name} model")
    raise CheckpointError(f"{where}: no {family.name} weights recognised (first names: "
                          f"{', '.join(sorted(names)[:3])})")
