"""keras-hub presets, read and written for any encoder family whose model keras-hub has.

Writing builds keras-hub's own backbone from the family's field table (and, where the
family names one, keras-hub's masked-LM task for our MLM head), fills it through the
family's `keras_hub` rows, and saves it with keras-hub's `save_to_preset`, so plain
keras-hub loads it whole. Reading loads the preset with keras-hub and hands its weights on
by path.
"""

import logging
import os

from clue_tf.errors import CheckpointError, ClueTfError, ConfigError
from clue_tf.families import Family
from clue_tf.io.json_config import read_json_config
from clue_tf.models.config_fields import arguments_from
from clue_tf.rows import WeightSource, dump_rows

logger = logging.getLogger(__name__)

HEAD_PREFIXES = {"masked_lm_head/": "masked_lm", "next_sentence_head/": "next_sentence",
                 "classifier_head/": "classifier"}


def read_preset(preset: str) -> WeightSource:
    """A keras-hub preset's weights by weight path (the task's, with its head, when saved)."""
    import keras_hub

    try:
        task_file = os.path.join(preset, "task.json")
        if os.path.exists(task_file):  # keras-hub loads a task by its own class
            task_class = getattr(keras_hub.models, read_json_config(task_file).get("class_name", ""), None)
            if task_class is None:
                raise CheckpointError(f"{task_file}: not a keras-hub task class")
            model = task_class.from_preset(preset)
        else:
            model = keras_hub.models.Backbone.from_preset(preset)
    except CheckpointError:
        raise
    except Exception as e:  # keras-hub raises many types for a broken preset
        raise CheckpointError(f"{preset}: cannot load keras-hub preset ({type(e).__name__}: {e})") from None
    return WeightSource.from_state({w.path: w.numpy() for w in model.weights}, preset)


def write_preset(out_dir: str, model, family: Family, config, vocab_file: str, skip_paths=(),
                 do_lower_case: bool = True, allow_gelu_approximation: bool = False) -> tuple:
    """Saves `model` as a keras-hub preset in `out_dir`; returns the heads written. Heads
    keras-hub has no place for are named in a warning; a model keras-hub's backbone is not is
    an error saying why and which format to use."""
    import keras_hub

    backbone_name = getattr(family, "keras_hub_backbone", "")
    if not backbone_name:
        problems = family.keras_hub_problems(config) if hasattr(family, "keras_hub_problems") else []
        why = f" ({'; '.join(problems)})" if problems else ""
        raise ConfigError(f"no keras-hub preset export for {family.name} models{why}; "
                          f"use --output_format={family.native_format}")
    problems = family.keras_hub_problems(config, allow_gelu_approximation)
    if problems:
        raise ClueTfError(f"no keras-hub {backbone_name} for this model: " + "; ".join(problems)
                          + ("; use --output_format=bundle or hf" if _has_hf_form(family, config) else
                             "; use --output_format=bundle (it has no HF form either)"))
    state = dump_rows(model, family.rows(config, "keras_hub"), skip_paths)
    backbone = getattr(keras_hub.models, backbone_name)(**arguments_from(config, family.keras_hub_fields))
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=vocab_file, lowercase=do_lower_case)
    target, written = backbone, ()
    if family.keras_hub_masked_lm and "mlm_head/output_bias" in state:
        task_name, preprocessor_name = family.keras_hub_masked_lm
        preprocessor = getattr(keras_hub.models, preprocessor_name)(
            tokenizer, sequence_length=min(512, family.max_positions(config) or 512))
        target, written = getattr(keras_hub.models, task_name)(backbone, preprocessor), ("masked_lm",)
    weights = {w.path: w for w in target.weights}
    for name, value in state.items():
        weights[name].assign(value)
    dropped = sorted(_loaded_heads(model, skip_paths) - set(written))
    if dropped:
        logger.warning("keras-hub presets hold no %s head; not written", " / ".join(dropped))
    target.save_to_preset(out_dir)
    if target is backbone:
        tokenizer.save_to_preset(out_dir)
    return written


def _has_hf_form(family: Family, config) -> bool:
    try:
        family.config_dict(config, "hf")
    except ConfigError:
        return False
    return "hf" in family.config_dialects


def _loaded_heads(model, skip_paths) -> set:
    """The heads a model has and loaded (by their layers' weight paths)."""
    skip = set(skip_paths)
    return {head for w in model.weights for prefix, head in HEAD_PREFIXES.items()
            if w.path.startswith(prefix) and w.path not in skip}
