"""Pegasus's HF `config.json` (`PegasusConfig`, as UER publishes its Chinese Pegasus) both ways."""

from clue_tf.errors import ConfigError
from clue_tf.models.seq2seq_config import Seq2SeqConfig, Seq2SeqDialect


class PegasusDialect(Seq2SeqDialect):
    family = "pegasus"
    model_types = ("pegasus",)
    fields = {
        "vocab_size": "vocab_size", "d_model": "hidden_dim", "encoder_layers": "num_layers",
        "decoder_layers": "num_decoder_layers", "encoder_attention_heads": "num_heads",
        "encoder_ffn_dim": "intermediate_dim", "dropout": "dropout",
        "max_position_embeddings": "max_position_embeddings", "activation_function": "activation",
    }
    required = ("vocab_size", "d_model", "encoder_layers", "encoder_attention_heads", "encoder_ffn_dim")

    def read_extras(self, values: dict, known: dict, source: str) -> None:
        known["key_value_dim"] = values["d_model"] // values["encoder_attention_heads"]
        known["layer_norm_epsilon"] = 1e-5
        stop = values.get("forced_eos_token_id") or values.get("eos_token_id")
        if stop is not None:
            known["stop_token_id"] = stop

    def write_extras(self, config: Seq2SeqConfig, values: dict) -> None:
        values.update(model_type="pegasus", decoder_attention_heads=config.num_heads,
                      decoder_ffn_dim=config.intermediate_dim, scale_embedding=True,
                      eos_token_id=config.stop_token_id, forced_eos_token_id=config.stop_token_id)
        values.setdefault("architectures", ["PegasusForConditionalGeneration"])

    def check(self, config: Seq2SeqConfig, source: str) -> None:
        if config.hidden_dim % config.num_heads:
            raise ConfigError(f"{source}: d_model {config.hidden_dim} is not a multiple of {config.num_heads} heads")


PEGASUS_CONFIG = PegasusDialect()
