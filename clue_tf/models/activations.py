"""Activation names in each config dialect, and the Keras activations behind ours.

Google's code (BERT, ALBERT) computes "gelu" as the tanh approximation; HF and UER-py
compute "gelu" exactly (erf), as Google's ELECTRA code does, and call the tanh form "gelu_new" / "gelu_pytorch_tanh" /
"gelu_fast". Configs hold our dialect-free names ("gelu_tanh", "gelu_erf", relu, tanh,
linear); each dialect is read and written by its own table.
"""

from clue_tf.errors import ConfigError
from clue_tf.models.gelu import gelu_erf, gelu_tanh

ACTIVATION_NAMES = ("gelu_tanh", "gelu_erf", "relu", "tanh", "linear")

# dialect -> (name in the file -> ours, ours -> name to write)
_ACTIVATIONS = {
    # Google's modeling.py: "gelu" is the tanh form. "gelu_erf" is ours for the exact form
    # (bert4keras reads it too); "gelu_exact" is what clue-tf 0.1 wrote for it.
    "google": ({"gelu": "gelu_tanh", "gelu_new": "gelu_tanh", "gelu_erf": "gelu_erf",
                "gelu_exact": "gelu_erf"}, {"gelu_tanh": "gelu", "gelu_erf": "gelu_erf"}),
    "hf": ({"gelu": "gelu_erf", "gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh",
            "gelu_fast": "gelu_tanh"}, {"gelu_erf": "gelu", "gelu_tanh": "gelu_new"}),
    "uer": ({"gelu": "gelu_erf", "gelu_fast": "gelu_tanh"}, {"gelu_erf": "gelu", "gelu_tanh": "gelu_fast"}),
    # Google's ELECTRA modeling.py and bert4keras (Zhuiyi's RoFormer): "gelu" is exact (erf).
    "gelu_is_erf": ({"gelu": "gelu_erf", "gelu_tanh": "gelu_tanh", "gelu_erf": "gelu_erf"},
                       {"gelu_erf": "gelu", "gelu_tanh": "gelu_tanh"}),
}
_PLAIN = {"relu": "relu", "tanh": "tanh", "linear": "linear"}
DIALECTS = tuple(_ACTIVATIONS)

# Our names -> Keras activations.
KERAS_ACTIVATIONS = {
    "gelu_tanh": gelu_tanh,
    "gelu_erf": gelu_erf,
    "relu": "relu",
    "tanh": "tanh",
    "linear": "linear",
}


def read_activation(name: str, dialect: str, source: str = "config") -> str:
    """Our activation name for `name` as `dialect` means it."""
    table = {**_PLAIN, **_ACTIVATIONS[dialect][0]}
    if name in ACTIVATION_NAMES and dialect == "google" and name not in table:
        table[name] = name  # our own names, as clue-tf writes them into bert_config.json
    if name not in table:
        raise ConfigError(f"{source}: hidden_act {name!r} is not one of {sorted(table)}")
    return table[name]


def write_activation(name: str, dialect: str) -> str:
    return {**_PLAIN, **_ACTIVATIONS[dialect][1]}.get(name, name)
