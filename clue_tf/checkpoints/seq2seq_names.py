"""Name tables between published T5 v1.1 / Pegasus weights and our Keras variables.

Each row names a weight in HF's state dict (and, for T5, in Google's mesh-TF checkpoint),
a getter for our variable, and how the values are laid out in each format. keras-hub's
T5 layer norms have generated names, so rows hold getters rather than weight paths.
"""

from typing import Callable, NamedTuple, Optional

import numpy as np


class Layout(NamedTuple):
    """How an external array relates to the Keras one.

    kind "copy": same shape; "linear": a torch Linear weight [out, in] of a Keras kernel
    whose first `inputs` axes are the input (per-head kernels are flattened); "flat": a
    reshape; "transpose": a 2-D transpose.
    """

    kind: str
    inputs: int = 1
    external_shape: Optional[tuple] = None  # for "flat": the shape outside ([1, V] for a bias row)

    def to_keras(self, value: np.ndarray, keras_shape: tuple) -> np.ndarray:
        if self.kind in ("linear", "transpose"):
            value = value.T
        return np.reshape(value, keras_shape)

    def to_external(self, value: np.ndarray) -> np.ndarray:
        if self.kind == "linear":
            n_in = int(np.prod(value.shape[: self.inputs]))
            return np.reshape(value, (n_in, -1)).T
        if self.kind == "transpose":
            return value.T
        if self.kind == "flat":
            return np.reshape(value, self.external_shape or (-1,))
        return value

    def external_shape_of(self, keras_shape: tuple) -> tuple:
        return tuple(self.to_external(np.zeros(keras_shape, dtype=np.int8)).shape)


COPY = Layout("copy")
LINEAR = Layout("linear")
TRANSPOSE = Layout("transpose")


class WeightRow(NamedTuple):
    hf_name: str
    variable: Callable  # model -> keras.Variable
    hf_layout: Layout
    mesh_name: Optional[str] = None
    mesh_layout: Layout = COPY
    optional: bool = False


# HF state dicts may repeat the shared embedding under these names (tied copies).
T5_TIED_ALIASES = {"encoder.embed_tokens.weight": "shared.weight",
                   "decoder.embed_tokens.weight": "shared.weight"}
PEGASUS_TIED_ALIASES = {"model.encoder.embed_tokens.weight": "model.shared.weight",
                        "model.decoder.embed_tokens.weight": "model.shared.weight",
                        "lm_head.weight": "model.shared.weight"}
# Mesh-TF training state, never model weights.
MESH_SKIPPED_SUFFIXES = ("_slot_vr", "_slot_vc", "_slot_v")


def t5_rows(num_layers: int) -> list[WeightRow]:
    """Rows for a T5 v1.1 LM (keras_hub.models.T5Seq2SeqLM) with `num_layers` per stack."""

    def backbone(attr):
        return lambda lm: getattr(lm.backbone, attr)

    rows = [
        WeightRow("shared.weight", lambda lm: lm.backbone.token_embedding.embeddings, COPY,
                  "shared/embedding"),
        WeightRow("lm_head.weight", lambda lm: lm.backbone.token_embedding.reverse_embeddings, LINEAR,
                  "decoder/logits/kernel"),
    ]
    for stack in ("encoder", "decoder"):
        layers = f"{stack}_transformer_layers"

        def layer(i, *attrs, layers=layers):
            def get(lm):
                obj = getattr(lm.backbone, layers)[i]
                for attr in attrs:
                    obj = getattr(obj, attr)
                return obj
            return get

        rows.append(WeightRow(
            f"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
            layer(0, "self_attention", "relative_attention_bias"), COPY,
            f"{stack}/block_000/layer_000/SelfAttention/relative_attention_bias", TRANSPOSE))
        for i in range(num_layers):
            hf, mesh = f"{stack}.block.{i}.layer", f"{stack}/block_{i:03d}"
            blocks = [("0.SelfAttention", "layer_000/SelfAttention", "self_attention",
                       "self_attention_layer_norm", "layer_000")]
            if stack == "decoder":
                blocks.append(("1.EncDecAttention", "layer_001/EncDecAttention", "cross_attention",
                               "cross_attention_layer_norm", "layer_001"))
            for hf_block, mesh_block, attention, norm, mesh_layer in blocks:
                for short, projector in (("q", "query"), ("k", "key"), ("v", "value"), ("o", "output")):
                    rows.append(WeightRow(f"{hf}.{hf_block}.{short}.weight",
                                          layer(i, attention, f"{projector}_projector", "kernel"), LINEAR,
                                          f"{mesh}/{mesh_block}/{short}"))
                rows.append(WeightRow(f"{hf}.{hf_block.split('.')[0]}.layer_norm.weight",
                                      layer(i, norm, "weight"), COPY, f"{mesh}/{mesh_layer}/rms_norm/scale"))
            ffn = "2" if stack == "decoder" else "1"
            mesh_ffn = f"{mesh}/layer_00{ffn}"
            for short, projector in (("wi_0", "input_projector"), ("wi_1", "gate_projector"),
                                     ("wo", "output_projector")):
                rows.append(WeightRow(f"{hf}.{ffn}.DenseReluDense.{short}.weight",
                                      layer(i, projector, "kernel"), LINEAR,
                                      f"{mesh_ffn}/DenseReluDense/{short}/kernel"))
            rows.append(WeightRow(f"{hf}.{ffn}.layer_norm.weight", layer(i, "layer_norm", "weight"), COPY,
                                  f"{mesh_ffn}/rms_norm/scale"))
        rows.append(WeightRow(f"{stack}.final_layer_norm.weight",
                              lambda lm, s=stack: getattr(lm.backbone, f"{s}_layer_norm").weight, COPY,
                              f"{stack}/rms_norm/scale"))
    return rows


def _path_getter(path: str) -> Callable:
    def get(lm):
        for weight in lm.backbone.weights:
            if weight.path == path:
                return weight
        raise AssertionError(f"model has no weight {path} (mapping table out of date)")
    return get


def pegasus_rows(num_layers: int) -> list[WeightRow]:
    """Rows for PegasusSeq2SeqLM with `num_layers` per stack (HF PegasusForConditionalGeneration)."""
    heads_kernel, heads_bias, output_kernel = LINEAR, Layout("flat"), Layout("linear", inputs=2)
    rows = [
        WeightRow("model.shared.weight", _path_getter("token_embedding/embeddings"), COPY),
        WeightRow("final_logits_bias", _path_getter("final_logits_bias/bias"), Layout("flat", external_shape=(1, -1))),
    ]
    for stack in ("encoder", "decoder"):
        # The sinusoid tables: loaded when present (UER's layout), else kept as built.
        rows.append(WeightRow(f"model.{stack}.embed_positions.weight",
                              _path_getter(f"{stack}_position_embedding/embeddings"), COPY, optional=True))
        attentions = [("self_attn", "self_attention_layer" if stack == "encoder" else "self_attention",
                       "self_attention_layer_norm")]
        if stack == "decoder":
            attentions.append(("encoder_attn", "cross_attention", "cross_attention_layer_norm"))
        for i in range(num_layers):
            hf, ours = f"model.{stack}.layers.{i}", f"{stack}_layer_{i}"
            for hf_attention, attention, norm in attentions:
                for proj, dense in (("q_proj", "query"), ("k_proj", "key"), ("v_proj", "value")):
                    rows.append(WeightRow(f"{hf}.{hf_attention}.{proj}.weight",
                                          _path_getter(f"{ours}/{attention}/{dense}/kernel"), heads_kernel))
                    rows.append(WeightRow(f"{hf}.{hf_attention}.{proj}.bias",
                                          _path_getter(f"{ours}/{attention}/{dense}/bias"), heads_bias))
                rows.append(WeightRow(f"{hf}.{hf_attention}.out_proj.weight",
                                      _path_getter(f"{ours}/{attention}/attention_output/kernel"), output_kernel))
                rows.append(WeightRow(f"{hf}.{hf_attention}.out_proj.bias",
                                      _path_getter(f"{ours}/{attention}/attention_output/bias"), COPY))
                rows.append(WeightRow(f"{hf}.{hf_attention}_layer_norm.weight",
                                      _path_getter(f"{ours}/{norm}/gamma"), COPY))
                rows.append(WeightRow(f"{hf}.{hf_attention}_layer_norm.bias",
                                      _path_getter(f"{ours}/{norm}/beta"), COPY))
            for fc, dense in (("fc1", "feedforward_intermediate_dense"), ("fc2", "feedforward_output_dense")):
                rows.append(WeightRow(f"{hf}.{fc}.weight", _path_getter(f"{ours}/{dense}/kernel"), LINEAR))
                rows.append(WeightRow(f"{hf}.{fc}.bias", _path_getter(f"{ours}/{dense}/bias"), COPY))
            rows.append(WeightRow(f"{hf}.final_layer_norm.weight",
                                  _path_getter(f"{ours}/feedforward_layer_norm/gamma"), COPY))
            rows.append(WeightRow(f"{hf}.final_layer_norm.bias",
                                  _path_getter(f"{ours}/feedforward_layer_norm/beta"), COPY))
        rows.append(WeightRow(f"model.{stack}.layer_norm.weight", _path_getter(f"{stack}_layer_norm/gamma"), COPY))
        rows.append(WeightRow(f"model.{stack}.layer_norm.bias", _path_getter(f"{stack}_layer_norm/beta"), COPY))
    return rows


def seq2seq_rows(family: str, num_layers: int) -> list[WeightRow]:
    return t5_rows(num_layers) if family == "t5" else pegasus_rows(num_layers)


def tied_aliases(family: str) -> dict[str, str]:
    return T5_TIED_ALIASES if family == "t5" else PEGASUS_TIED_ALIASES
