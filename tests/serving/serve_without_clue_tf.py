"""Calls a signature of a SavedModel where clue_tf, Keras and keras-hub cannot be imported.

Usage: serve_without_clue_tf.py SAVED_MODEL SIGNATURE INPUTS.jsonl OUTPUTS.jsonl [BATCH]
INPUTS holds one JSON object per row (the signature's string inputs); OUTPUTS gets one
object per row with every output of the signature, and a last line naming any forbidden
module that got imported. tensorflow-text's ops are loaded from its shared libraries
(its Python package imports Keras for its own layers; the SavedModel needs only the ops).
"""

import glob
import importlib.util
import json
import os
import sys

FORBIDDEN = ("clue_tf", "keras", "keras_hub", "tf_keras")
for name in FORBIDDEN:
    sys.modules[name] = None  # `import` fails and find_spec says "not installed"

import tensorflow as tf  # noqa: E402

text_ops = os.path.join(os.path.dirname(importlib.util.find_spec("tensorflow_text").origin), "python", "ops")
for library in sorted(glob.glob(os.path.join(text_ops, "*.so"))):
    tf.load_op_library(library)


def plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main(saved_model: str, signature: str, inputs_file: str, outputs_file: str, batch: int = 256) -> None:
    function = tf.saved_model.load(saved_model).signatures[signature]
    with open(inputs_file, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    with open(outputs_file, "w", encoding="utf-8") as out:
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            outputs = function(**{key: tf.constant([r[key] for r in chunk]) for key in chunk[0]})
            values = {key: value.numpy().tolist() for key, value in outputs.items()}
            for i in range(len(chunk)):
                out.write(json.dumps({key: plain(v[i]) for key, v in values.items()}, ensure_ascii=False) + "\n")
        imported = sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN and sys.modules[m] is not None)
        out.write(json.dumps({"forbidden_imports": imported}) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:5], *map(int, sys.argv[5:6]))
