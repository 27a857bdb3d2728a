"""Pegasus' weight names in HF's layout (`model.encoder.layers.0.self_attn.q_proj.weight`), as rows."""

from clue_tf.rows import COPY, LINEAR, Layout, Row

# HF state dicts may repeat the shared embedding under these names (tied copies).
ALIASES = {"hf": {"model.encoder.embed_tokens.weight": "model.shared.weight",
                  "model.decoder.embed_tokens.weight": "model.shared.weight",
                  "lm_head.weight": "model.shared.weight"}}


def pegasus_rows(num_layers: int) -> list[Row]:
    """Rows for PegasusSeq2SeqLM with `num_layers` per stack (HF PegasusForConditionalGeneration)."""
    heads_kernel, heads_bias, output_kernel = LINEAR, Layout(inputs=0), Layout(inputs=2, transpose=True)
    rows = [
        Row("model.shared.weight", "token_embedding/embeddings", COPY),
        Row("final_logits_bias", "final_logits_bias/bias", Layout(inputs=0, external_shape=(1, -1))),
    ]
    for stack in ("encoder", "decoder"):
        # The sinusoid tables: loaded when present (UER's layout), else kept as built.
        rows.append(Row(f"model.{stack}.embed_positions.weight", f"{stack}_position_embedding/embeddings", COPY, optional=True))
        attentions = [("self_attn", "self_attention_layer" if stack == "encoder" else "self_attention",
                       "self_attention_layer_norm")]
        if stack == "decoder":
            attentions.append(("encoder_attn", "cross_attention", "cross_attention_layer_norm"))
        for i in range(num_layers):
            hf, ours = f"model.{stack}.layers.{i}", f"{stack}_layer_{i}"
            for hf_attention, attention, norm in attentions:
                for proj, dense in (("q_proj", "query"), ("k_proj", "key"), ("v_proj", "value")):
                    rows.append(Row(f"{hf}.{hf_attention}.{proj}.weight", f"{ours}/{attention}/{dense}/kernel", heads_kernel))
                    rows.append(Row(f"{hf}.{hf_attention}.{proj}.bias", f"{ours}/{attention}/{dense}/bias", heads_bias))
                rows.append(Row(f"{hf}.{hf_attention}.out_proj.weight", f"{ours}/{attention}/attention_output/kernel", output_kernel))
                rows.append(Row(f"{hf}.{hf_attention}.out_proj.bias", f"{ours}/{attention}/attention_output/bias", COPY))
                rows.append(Row(f"{hf}.{hf_attention}_layer_norm.weight", f"{ours}/{norm}/gamma", COPY))
                rows.append(Row(f"{hf}.{hf_attention}_layer_norm.bias", f"{ours}/{norm}/beta", COPY))
            for fc, dense in (("fc1", "feedforward_intermediate_dense"), ("fc2", "feedforward_output_dense")):
                rows.append(Row(f"{hf}.{fc}.weight", f"{ours}/{dense}/kernel", LINEAR))
                rows.append(Row(f"{hf}.{fc}.bias", f"{ours}/{dense}/bias", COPY))
            rows.append(Row(f"{hf}.final_layer_norm.weight", f"{ours}/feedforward_layer_norm/gamma", COPY))
            rows.append(Row(f"{hf}.final_layer_norm.bias", f"{ours}/feedforward_layer_norm/beta", COPY))
        rows.append(Row(f"model.{stack}.layer_norm.weight", f"{stack}_layer_norm/gamma", COPY))
        rows.append(Row(f"model.{stack}.layer_norm.bias", f"{stack}_layer_norm/beta", COPY))
    return rows
