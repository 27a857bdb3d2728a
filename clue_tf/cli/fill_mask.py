"""Predict the tokens behind each [MASK] in a text with a bundle's MLM head.

Example:
  clue-tf fill_mask --bundle_dir=DIR --text='中国的首都是[MASK]京。' --top_k=5
"""

from absl import flags

from clue_tf.cli.common_flags import define_bundle_flags, new_flag_values

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
flags.DEFINE_string("text", None, "Text with one or more [MASK] tokens.", flag_values=FLAGS)
flags.DEFINE_integer("top_k", 5, "Candidates to show per mask.", flag_values=FLAGS)
flags.DEFINE_bool("json", False, "Print JSON instead of a table.", flag_values=FLAGS)
flags.mark_flag_as_required("text", flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    import json

    from clue_tf.checkpoints.bert_bundle import find_bundle_files, load_bert_bundle
    from clue_tf.errors import CheckpointError
    from clue_tf.inference.fill_mask import fill_mask
    from clue_tf.tokenization.full_tokenizer import FullTokenizer

    files = find_bundle_files(fv.bundle_dir, fv.bert_config_file, fv.vocab_file, fv.init_checkpoint)
    loaded = load_bert_bundle(files, heads="pretraining")
    if any(name.startswith("cls/predictions/") for name in loaded.report.left_initial):
        raise CheckpointError(f"{files.checkpoint}: has no masked-LM head (cls/predictions/*), "
                              "so it cannot fill masks (CLUE's releases ship without one)")
    tokenizer = FullTokenizer(loaded.vocab, do_lower_case=fv.do_lower_case, keep_special_tokens=True,
                              special_tokens=["[MASK]"])
    results = fill_mask(loaded.model, tokenizer, fv.text, top_k=fv.top_k)
    if fv.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return 0
    for number, candidates in enumerate(results, start=1):
        print(f"[MASK] #{number}")
        for c in candidates:
            print(f"  {c['score']:.4f}  {c['token_str']:<8} (id {c['token']})  {c['sequence']}")
    return 0
