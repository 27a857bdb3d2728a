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

    from clue_tf.checkpoints.folders import load
    from clue_tf.cli.common_flags import locate_model
    from clue_tf.inference.fill_mask import fill_mask

    loaded = load(locate_model(fv, need_vocab=True), heads=("masked_lm",), require=("masked_lm",),
                  allow_unused=fv.allow_unused_weights, purpose="fill masks")
    results = fill_mask(loaded, fv.text, top_k=fv.top_k, do_lower_case=fv.do_lower_case)
    if fv.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return 0
    for number, candidates in enumerate(results, start=1):
        print(f"[MASK] #{number}")
        for c in candidates:
            print(f"  score={c['score']:.6f}  token={c['token']:<6} token_str={c['token_str']:<8} "
                  f"sequence={c['sequence']}")
    return 0
