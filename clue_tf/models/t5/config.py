"""T5 v1.1's HF `config.json` (`MT5Config`, as UER publishes its Chinese T5) both ways."""

from clue_tf.errors import ConfigError
from clue_tf.models.seq2seq_config import Seq2SeqConfig, Seq2SeqDialect


class T5Dialect(Seq2SeqDialect):
    family = "t5"
    model_types = ("t5", "mt5")
    fields = {
        "vocab_size": "vocab_size", "d_model": "hidden_dim", "num_layers": "num_layers",
        "num_decoder_layers": "num_decoder_layers", "num_heads": "num_heads", "d_kv": "key_value_dim",
        "d_ff": "intermediate_dim", "dropout_rate": "dropout", "layer_norm_epsilon": "layer_norm_epsilon",
        "relative_attention_num_buckets": "relative_attention_num_buckets",
        "relative_attention_max_distance": "relative_attention_max_distance",
    }
    required = ("vocab_size", "d_model", "num_layers", "num_heads", "d_kv", "d_ff")

    def read_extras(self, values: dict, known: dict, source: str) -> None:
        projection = values.get("feed_forward_proj", "relu")
        if projection not in ("gated-gelu", "gated-gelu_new"):
            raise ConfigError(f"{source}: feed_forward_proj {projection!r}: only T5 v1.1 (gated-gelu) is supported")
        known["activation"] = "gelu_approximate"
        stop = values.get("forced_eos_token_id") or values.get("eos_token_id")
        # UER's T5 configs carry a stale eos_token_id 1; their targets end with [SEP] (102).
        if stop == 1 and known.get("start_token_id") == 101:
            stop = 102
        if stop is not None:
            known["stop_token_id"] = stop

    def write_extras(self, config: Seq2SeqConfig, values: dict) -> None:
        values.update(model_type=values.get("model_type", "mt5"), feed_forward_proj="gated-gelu",
                      tie_word_embeddings=False, eos_token_id=config.stop_token_id)
        values.setdefault("architectures", ["MT5ForConditionalGeneration"])

    def check(self, config: Seq2SeqConfig, source: str) -> None:
        if config.num_decoder_layers != config.num_layers:
            raise ConfigError(f"{source}: {config.num_layers} encoder but {config.num_decoder_layers} "
                              "decoder layers; T5 stacks of different depth are not supported")


T5_CONFIG = T5Dialect()
