"""The fields every BERT-shaped encoder config has (Google's names and defaults), and the
reading and checks they share; every encoder family's config (BERT, ALBERT, ELECTRA, ERNIE,
RoFormer, NEZHA) extends it."""

from dataclasses import dataclass

from clue_tf.errors import ConfigError
from clue_tf.models.activations import read_activation
from clue_tf.models.config_fields import split_fields

SIZE_FIELDS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
               "max_position_embeddings", "type_vocab_size")


@dataclass
class EncoderConfig:
    """BERT's architecture fields; `hidden_act` in our dialect-free names."""

    vocab_size: int
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu_tanh"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02

    @classmethod
    def read_fields(cls, values: dict, source: str, activation_dialect: str) -> tuple[dict, dict]:
        """(this class's fields found in `values`, typed, activation read in `activation_dialect`;
        every other key) or a ConfigError naming the file."""
        if "vocab_size" not in values:
            raise ConfigError(f"{source}: missing required field 'vocab_size'")
        known, extra = split_fields(cls, {k: v for k, v in values.items() if v is not None}, source)
        if "hidden_act" in known:
            known["hidden_act"] = read_activation(known["hidden_act"], activation_dialect, source)
        return known, extra

    def check_sizes(self, source: str, more: tuple = (), even_head_size: bool = False) -> None:
        """Sizes positive and the hidden size a multiple of the heads (an even head size for
        rotary and sinusoid pairs)."""
        for name in SIZE_FIELDS + more:
            if getattr(self, name) <= 0:
                raise ConfigError(f"{source}: {name} must be positive, got {getattr(self, name)}")
        head_size, rest = divmod(self.hidden_size, self.num_attention_heads)
        if rest or (even_head_size and head_size % 2):
            raise ConfigError(f"{source}: hidden_size {self.hidden_size} over num_attention_heads "
                              f"{self.num_attention_heads} must be a whole{', even' if even_head_size else ''} "
                              "head size")
