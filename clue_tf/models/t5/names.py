"""T5 v1.1's weight names: HF's (`encoder.block.0.layer.0.SelfAttention.q.weight`) and
Google's mesh-TF names (`encoder/block_000/layer_000/SelfAttention/q`), as rows.

keras-hub's T5 layer norms have generated weight paths, so rows hold getters.
"""

from clue_tf.rows import COPY, LINEAR, Layout, Row

TRANSPOSE = Layout(transpose=True)
# HF state dicts may repeat the shared embedding under these names (tied copies).
ALIASES = {"hf": {"encoder.embed_tokens.weight": "shared.weight",
                  "decoder.embed_tokens.weight": "shared.weight"}, "mesh": {}}


class _WeightRow:
    """A weight in both dialects, turned into a Row for one of them."""

    def __init__(self, hf_name, variable, hf_layout, mesh_name=None, mesh_layout=COPY):
        self.hf = Row(hf_name, variable, hf_layout)
        self.mesh = Row(mesh_name, variable, mesh_layout) if mesh_name else None


WeightRow = _WeightRow


def t5_rows(num_layers: int, dialect: str = "hf") -> list[Row]:
    """Rows for a T5 v1.1 LM (keras_hub.models.T5Seq2SeqLM) with `num_layers` per stack."""
    return [getattr(row, dialect) for row in _t5_weight_rows(num_layers) if getattr(row, dialect)]


def _t5_weight_rows(num_layers: int) -> list:

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


