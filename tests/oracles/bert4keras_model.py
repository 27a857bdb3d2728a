"""bert4keras 0.11.5 (Su Jianlin's Keras library, the reader most Chinese Keras users load
Google's ELECTRA, Zhuiyi's RoFormer and Huawei's NEZHA TF1 checkpoints with) as a
subprocess oracle.

Usage:
  python bert4keras_model.py MODEL GELU CONFIG.json CHECKPOINT INPUTS.npz OUT.npz
      MODEL: electra | roformer | nezha; GELU: erf | tanh (what the config's "gelu" means).
      Builds build_transformer_model(MODEL) from the checkpoint, with its MLM head
      (roformer, nezha) or discriminator (electra, linear output), and writes every
      Transformer layer's output and the head's output for INPUTS' token_ids and
      segment_ids (token 0 is padding, as bert4keras masks it).

Needs `pip install --no-deps bert4keras==0.11.5` and tf-keras; runs with TF_KERAS=1 and
TF_USE_LEGACY_KERAS=1 (set here, before TensorFlow is imported).
"""

import os
import sys

os.environ.update(TF_KERAS="1", TF_USE_LEGACY_KERAS="1")


def main(model_name, gelu, config_file, checkpoint, inputs_file, out_file):
    import numpy as np
    from bert4keras.backend import keras, set_gelu
    from bert4keras.models import build_transformer_model

    set_gelu(gelu)
    heads = {"electra": dict(with_discriminator="linear"), "roformer": dict(with_mlm="linear"),
             "nezha": dict(with_mlm="linear")}[model_name]
    model = build_transformer_model(config_file, checkpoint, model=model_name, **heads)
    layers = [layer.output for layer in model.layers if layer.name.endswith("-FeedForward-Norm")]
    probe = keras.models.Model(model.inputs, layers + [model.output])
    inputs = np.load(inputs_file)
    outputs = probe.predict([inputs["token_ids"], inputs["segment_ids"]], verbose=0)
    np.savez(out_file, encoder_outputs=np.stack(outputs[:-1]), head=outputs[-1])


if __name__ == "__main__":
    main(*sys.argv[1:])
