"""What every encoder family (BERT, ALBERT, and the ones to come) shares: Google's heads on a
keras-hub Backbone, masked-LM pretraining, and a keras-hub preset form given by a field table.

A family subclasses `EncoderFamily` and says how its encoder is built from its config and
read back, its config dialects and weight rows; the rest is here once.
"""

from typing import Optional

from clue_tf.families import Family
from clue_tf.models.config_fields import fields_from


class EncoderFamily(Family):
    heads = ("masked_lm", "next_sentence", "classifier")  # Google's: cls/predictions, cls/seq_relationship, output_*
    native_format = "bundle"
    objective_kind = "masked_lm"
    record_kind = "masked_lm"
    keras_hub_backbone: str = ""  # keras_hub.models class of the preset form ("": none)
    keras_hub_fields: dict = {}  # its arguments -> our config fields, used both ways
    keras_hub_masked_lm: Optional[tuple] = None  # (task, preprocessor) classes that hold our MLM head
    hf_class_prefix: str = ""  # transformers' class names: "Bert" -> BertModel, BertForMaskedLM, ...
    hf_head_classes: dict = {(): "Model", ("masked_lm",): "ForMaskedLM",
                             ("masked_lm", "next_sentence"): "ForPreTraining",
                             ("next_sentence",): "ForNextSentencePrediction",
                             ("classifier",): "ForSequenceClassification"}

    # -- what each family says ----------------------------------------------------------
    def encoder_class(self):
        """The family's Keras encoder class (a keras-hub Backbone subclass)."""
        raise NotImplementedError

    def build_encoder(self, config, dtype=None, **options):
        """The encoder; `options` are the encoder class's build options (first_token_only)."""
        raise NotImplementedError

    def encoder_config(self, encoder):
        """The config that describes a built encoder."""
        raise NotImplementedError

    def keras_hub_problems(self, config, allow_gelu_approximation: bool = False) -> list[str]:
        """Why keras-hub's backbone is not this model (empty: it is)."""
        return []

    # -- shared ---------------------------------------------------------------------------
    def build(self, config, heads: tuple = (), num_labels: Optional[int] = None, dtype=None,
              first_token_only: bool = False):
        from clue_tf.models.bert.heads import bert_classifier, bert_with_heads

        encoder = self.build_encoder(config, dtype, **self.first_token_option(heads, first_token_only))
        if not heads:
            return encoder
        if tuple(heads) == ("classifier",):
            return bert_classifier(encoder, num_labels or 2)
        return bert_with_heads(encoder, tuple(heads), num_labels)

    def first_token_option(self, heads: tuple, first_token_only: bool) -> dict:
        """The encoder option for `first_token_only`: only a classifier-only model may read
        the first token alone."""
        if first_token_only and tuple(heads) == ("classifier",):
            return {"first_token_only": True}
        return {}

    def hf_architecture(self, heads: tuple) -> Optional[str]:
        suffix = self.hf_head_classes.get(tuple(heads))
        return self.hf_class_prefix + suffix if self.hf_class_prefix and suffix else None

    def num_labels_in(self, shapes: dict, config, dialect: str) -> Optional[int]:
        for row in self.rows(config, dialect):
            if row.keras == "classifier_head/bias" and row.name in shapes:
                return int(shapes[row.name][0])
        return None

    def config_from_model(self, model):
        from clue_tf.models.backbones import find_encoder

        encoder = find_encoder(model, required=False)
        return self.encoder_config(encoder) if type(encoder) is self.encoder_class() else None  # subclasses are other families

    def keras_hub_values(self, saved: dict) -> dict:
        """Our config fields from a keras-hub preset's config.json (`{"config": {...}}`)."""
        return fields_from(saved.get("config", {}), self.keras_hub_fields)
