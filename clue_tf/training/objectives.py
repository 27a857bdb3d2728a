"""What a pretraining run optimises, per model family: its model, records and losses.

`MaskedLmObjective` is Google's BERT pretraining (masked LM, optional NSP);
`ReplacedTokenObjective` is ELECTRA's (Google's run_pretraining.py): the generator's masked LM,
plus 50 times the discriminator's replaced-token loss on the generator's samples.
`Seq2SeqObjective` is T5 span corruption / Pegasus gap sentences: cross-entropy of the
target tokens given the source. The strategy-aware loop in `pretraining.py` drives either.
Losses are each replica's share of the global batch's loss, so they sum to it.
"""

import os
from typing import Optional

import keras
import tensorflow as tf

from clue_tf.data.tfrecords import dynamic_mask, parse_examples


def token_losses(logits, labels, weights, global_weight, epsilon: float = 1e-5) -> tuple[tf.Tensor, tf.Tensor]:
    """Weighted cross-entropy and accuracy, as shares of the global weight (Google adds
    1e-5 to the masked-LM denominator, nothing to the NSP one)."""
    logits = tf.cast(logits, tf.float32)
    weights = tf.cast(weights, tf.float32)
    per_token = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    loss = tf.reduce_sum(per_token * weights) / (global_weight + epsilon)
    correct = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=labels.dtype), labels), tf.float32)
    return loss, tf.math.divide_no_nan(tf.reduce_sum(correct * weights), global_weight)


class MaskedLmObjective:
    """Google's run_pretraining.py: masked LM plus (optionally) next-sentence prediction, or
    ALBERT's sentence-order prediction (the same head and labels; 1 = swapped)."""

    def __init__(self, settings, family, config, vocab):
        self.settings, self.family, self.config = settings, family, config
        self.pair_task = "sentence_order" if getattr(settings, "sentence_order", False) else "next_sentence"
        self.metric_names = ["loss", "masked_lm_loss", "masked_lm_accuracy", f"{self.pair_task}_loss",
                             f"{self.pair_task}_accuracy"]
        self.vocab_size = family.vocab_size(config)
        ids = vocab.ids if vocab else {}
        self.mask_id = ids.get("[MASK]", 103)
        self.special_ids = [ids.get(t, d) for t, d in (("[CLS]", 101), ("[SEP]", 102), ("[PAD]", 0))]

    def build_model(self):
        return self.family.build(self.config, ("masked_lm", "next_sentence") if self.settings.nsp else ("masked_lm",))

    def random_states(self) -> list:
        """State variables of the objective's own random draws (none here), for checkpoints."""
        return []

    def record_lengths(self) -> dict:
        """Feature lengths the records must have: feature -> (flag, value)."""
        lengths = {"input_ids": ("max_seq_length", self.settings.max_seq_length),
                   "masked_lm_positions": ("max_predictions_per_seq", self.settings.max_predictions_per_seq)}
        if self.settings.nsp:
            lengths["next_sentence_labels"] = ("nsp", 1)
        return lengths

    def parse(self, dataset: tf.data.Dataset) -> tf.data.Dataset:
        settings = self.settings
        dataset = dataset.map(lambda r: parse_examples(r, settings.max_seq_length, settings.max_predictions_per_seq))
        if settings.dynamic_masking:
            dataset = dataset.enumerate().map(lambda i, f: dynamic_mask(
                f, self.vocab_size, self.mask_id, self.special_ids, settings.max_predictions_per_seq,
                seed=tf.stack([tf.constant(settings.seed, tf.int64), i])))
        return dataset

    def prediction_weight(self, features) -> tf.Tensor:
        return tf.reduce_sum(features["masked_lm_weights"])

    def losses(self, model, features, global_batch: int, global_weight, training: bool) -> dict:
        outputs = model({"token_ids": features["input_ids"], "segment_ids": features["segment_ids"],
                         "padding_mask": features["input_mask"],
                         "masked_lm_positions": features["masked_lm_positions"]}, training=training)
        mlm_loss, mlm_accuracy = token_losses(outputs["masked_lm_logits"], features["masked_lm_ids"],
                                              features["masked_lm_weights"], global_weight)
        result = {"masked_lm_loss": mlm_loss, "masked_lm_accuracy": mlm_accuracy}
        loss = mlm_loss
        if "next_sentence_logits" in outputs:
            nsp_labels = features["next_sentence_labels"][:, 0]
            nsp_loss, nsp_accuracy = token_losses(outputs["next_sentence_logits"], nsp_labels,
                                                  tf.ones_like(nsp_labels, tf.float32),
                                                  tf.constant(float(global_batch)), epsilon=0.0)
            result.update({f"{self.pair_task}_loss": nsp_loss, f"{self.pair_task}_accuracy": nsp_accuracy})
            loss += nsp_loss
        result["loss"] = loss
        return result


def scatter_at_positions(ids, positions, weights, values):
    """`ids` with `values` written at `positions` where `weights` > 0 (padded positions untouched)."""
    chosen = tf.one_hot(positions, tf.shape(ids)[1], dtype=tf.int32) * tf.cast(weights > 0, tf.int32)[..., None]
    written = tf.reduce_max(chosen, axis=1)
    return tf.where(written > 0, tf.reduce_sum(chosen * tf.cast(values, tf.int32)[..., None], axis=1), ids)


def gumbel_sample(logits, seed_generator):
    """One token per row from softmax(logits) (Google's sampling at temperature 1), no gradient."""
    logits = tf.cast(logits, tf.float32)
    uniform = keras.random.uniform(tf.shape(logits), minval=1e-9, maxval=1.0, seed=seed_generator)
    return tf.stop_gradient(tf.argmax(logits - tf.math.log(-tf.math.log(uniform)), axis=-1, output_type=tf.int32))


class ReplacedTokenObjective(MaskedLmObjective):
    """ELECTRA: the generator fills the masked positions of the records' masked input with
    samples; the discriminator marks every real token replaced or not; loss = generator MLM
    + disc_weight (50, Google's) x discriminator loss, each over its own global weight."""

    disc_weight = 50.0

    def __init__(self, settings, family, config, vocab):
        super().__init__(settings, family, config, vocab)
        self.metric_names = ["loss", "masked_lm_loss", "masked_lm_accuracy", "replaced_token_loss",
                             "replaced_token_accuracy"]

    def record_lengths(self) -> dict:
        """Google's masked-LM records; ELECTRA has no sentence-pair task."""
        return {k: v for k, v in super().record_lengths().items() if k != "next_sentence_labels"}

    def build_model(self):
        model = self.family.build(self.config, ("masked_lm", "replaced_token"))
        inputs = {k: model.input[k] for k in ("token_ids", "segment_ids", "padding_mask")}
        self.generator = keras.Model(model.input, model.output["masked_lm_logits"])
        self.discriminator = keras.Model(inputs, model.output["replaced_token_logits"])
        self.seed_generator = keras.random.SeedGenerator(self.settings.seed)
        return model

    def random_states(self) -> list:
        """The generator sampler's seed state: a resumed run draws the replacements it would have."""
        return [self.seed_generator.state.value]

    def prediction_weight(self, features) -> tf.Tensor:
        """[masked positions, real tokens]: the two losses' denominators."""
        return tf.stack([tf.reduce_sum(features["masked_lm_weights"]),
                         tf.cast(tf.reduce_sum(features["input_mask"]), tf.float32)])

    def losses(self, model, features, global_batch: int, global_weight, training: bool) -> dict:
        features = {k: tf.convert_to_tensor(v) for k, v in features.items()}
        masked, mask = features["input_ids"], features["input_mask"]
        positions, weights = features["masked_lm_positions"], features["masked_lm_weights"]
        logits = self.generator({"token_ids": masked, "segment_ids": features["segment_ids"], "padding_mask": mask,
                                 "masked_lm_positions": positions}, training=training)
        mlm_loss, mlm_accuracy = token_losses(logits, features["masked_lm_ids"], weights, global_weight[0],
                                              epsilon=1e-6)
        original = scatter_at_positions(masked, positions, weights, features["masked_lm_ids"])
        corrupted = scatter_at_positions(masked, positions, weights, gumbel_sample(logits, self.seed_generator))
        labels = tf.cast(tf.not_equal(corrupted, original), tf.float32)
        disc_logits = tf.cast(self.discriminator({"token_ids": corrupted, "segment_ids": features["segment_ids"],
                                                  "padding_mask": mask}, training=training), tf.float32)
        real = tf.cast(mask, tf.float32)
        per_token = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=disc_logits)
        disc_loss = tf.reduce_sum(per_token * real) / (global_weight[1] + 1e-6)
        correct = tf.cast(tf.equal(tf.cast(disc_logits > 0, tf.float32), labels), tf.float32)
        disc_accuracy = tf.math.divide_no_nan(tf.reduce_sum(correct * real), global_weight[1])
        return {"loss": mlm_loss + self.disc_weight * disc_loss, "masked_lm_loss": mlm_loss,
                "masked_lm_accuracy": mlm_accuracy, "replaced_token_loss": disc_loss,
                "replaced_token_accuracy": disc_accuracy}


class Seq2SeqObjective:
    """T5 / Pegasus: predict target[1:] from the source and target[:-1] (teacher forcing)."""

    metric_names = ["loss", "target_accuracy"]

    def __init__(self, settings, family, config, vocab):
        self.settings, self.family, self.config = settings, family, config
        self.vocab_size = family.vocab_size(config)

    def build_model(self):
        return self.family.build(self.config)

    def random_states(self) -> list:
        return []

    def record_lengths(self) -> dict:
        return {"input_ids": ("max_seq_length", self.settings.max_seq_length),
                "target_ids": ("max_target_length", self.settings.max_target_length)}

    def parse(self, dataset: tf.data.Dataset) -> tf.data.Dataset:
        from clue_tf.data.seq2seq_pretraining import parse_seq2seq_examples

        return dataset.map(lambda r: parse_seq2seq_examples(r, self.settings.max_seq_length,
                                                            self.settings.max_target_length))

    def prediction_weight(self, features) -> tf.Tensor:
        return tf.cast(tf.reduce_sum(features["target_mask"][:, 1:]), tf.float32)

    def losses(self, model, features, global_batch: int, global_weight, training: bool) -> dict:
        logits = model({"encoder_token_ids": features["input_ids"],
                        "encoder_padding_mask": features["input_mask"],
                        "decoder_token_ids": features["target_ids"][:, :-1],
                        "decoder_padding_mask": features["target_mask"][:, :-1]}, training=training)
        loss, accuracy = token_losses(logits, features["target_ids"][:, 1:], features["target_mask"][:, 1:],
                                      global_weight)
        return {"loss": loss, "target_accuracy": accuracy}


def export_path(output_dir: str, bundle_dir: Optional[str]) -> str:
    return bundle_dir or os.path.join(output_dir, "bundle")


# Family.objective_kind -> the objective that pretrains it.
OBJECTIVES = {"masked_lm": MaskedLmObjective, "replaced_token": ReplacedTokenObjective,
              "seq2seq": Seq2SeqObjective}


def objective_for(family, settings, config, vocab):
    """The pretraining objective of `family` (by its objective_kind), for `config`."""
    if family.objective_kind not in OBJECTIVES:
        from clue_tf.errors import ConfigError

        raise ConfigError(f"{family.name} models have no pretraining objective here")
    return OBJECTIVES[family.objective_kind](settings, family, config, vocab)
