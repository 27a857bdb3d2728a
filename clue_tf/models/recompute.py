"""--recompute_grad: each transformer layer keeps only its input for the backward pass and
runs again there (`tf.recompute_grad`), trading a third to a half more time a step for the
activations of every layer but one (`benchmarks/finetune_cost.py --mode=memory --recompute`).

Dropout masks must be the same in both runs: one seed per layer call is drawn from the
layer's first dropout's SeedGenerator (so it is in checkpoints) outside the recomputed
function and passed in; the layer's dropouts fold their seeds from it (models/dropout.py).
"""

import keras
import keras_hub
import tensorflow as tf

from clue_tf.errors import ClueTfError
from clue_tf.models.dropout import replayable_seeds
from clue_tf.private_api import inner_layers


def _recomputed_call(layer: keras.Layer):
    call = layer.call
    seed_source = next((inner for inner in inner_layers(layer)  # Keras gives rate-0 dropouts no generator
                        if type(inner) is keras.layers.Dropout and hasattr(inner, "seed_generator")), None)

    def recomputed(inputs, padding_mask=None, attention_mask=None, training=None, **kwargs):
        if not training:
            return call(inputs, padding_mask=padding_mask, attention_mask=attention_mask, training=training, **kwargs)
        seed = (tf.zeros([2], tf.int32) if seed_source is None  # no dropout to replay
                else tf.cast(tf.math.floormod(seed_source.seed_generator.next(), tf.int32.max - 1), tf.int32))

        def run(x, seed, *masks):
            given = dict(zip(names, masks))
            with replayable_seeds(seed):
                return call(x, training=training, **given, **kwargs)

        names = [name for name, mask in (("padding_mask", padding_mask), ("attention_mask", attention_mask))
                 if mask is not None]
        masks = [mask for mask in (padding_mask, attention_mask) if mask is not None]
        return tf.recompute_grad(run)(inputs, seed, *masks)

    return recomputed


def recompute_transformer_layers(model: keras.Layer) -> int:
    """Makes every keras-hub TransformerEncoder inside `model` recompute in the backward
    pass (TensorFlow backend); returns how many layers."""
    layers = [layer for layer in inner_layers(model) if isinstance(layer, keras_hub.layers.TransformerEncoder)]
    if not layers:
        raise ClueTfError(f"--recompute_grad: {model.name} has no keras-hub TransformerEncoder layers to "
                          "recompute (encoder families only; T5 and Pegasus are not covered)")
    for layer in layers:
        layer.call = _recomputed_call(layer)
    return len(layers)
