"""Tokenizer throughput on CLUE text, in lines/s, against peers measured in the same run.

  python benchmarks/tokenizer_throughput.py [--lines=50000] [--shared_dir=../shared]

Peers: Google's original FullTokenizer (bert-tensorflow 1.0.4) and HF `tokenizers`'
BertWordPieceTokenizer (Rust; `pip install tokenizers`). Each figure is the best of
`--repeats` passes over the same lines; the in-graph figure batches through tf.data
after one warm-up pass (tracing excluded). It also counts lines whose tokens differ
from Google's, since speed without parity is not the point.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_lines(shared: Path, limit: int) -> list[str]:
    from tests.helpers import clue_texts

    texts = []
    for task in ("tnews_public", "afqmc_public", "iflytek_public", "cmnli_public"):
        texts.extend(clue_texts(shared / "data" / "clue" / task))
    step = max(1, len(texts) // limit)
    return texts[::step][:limit]


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--shared_dir", default=str(ROOT.parent / "shared"))
    args = parser.parse_args()
    shared = Path(args.shared_dir)
    vocab_file = str(shared / "data" / "vocab" / "google_zh_vocab.txt")
    lines = load_lines(shared, args.lines)
    print(f"{len(lines)} CLUE lines, {sum(map(len, lines))} characters; lower-case vocab {vocab_file}")

    import tensorflow as tf

    from clue_tf.tokenization import BertTokenizer, FullTokenizer
    from tests.oracles.google_bert import google_modules

    results = {}
    outputs = {}

    google_tokenization, _ = google_modules()
    google = google_tokenization.FullTokenizer(vocab_file, do_lower_case=True)
    results["Google FullTokenizer (Python)"] = best_time(
        lambda: outputs.__setitem__("google", [google.tokenize(t) for t in lines]), args.repeats)

    ours = FullTokenizer(vocab_file)
    results["clue-tf FullTokenizer (Python)"] = best_time(
        lambda: outputs.__setitem__("python", [ours.tokenize(t) for t in lines]), args.repeats)

    # In-graph: timed as a training input runs it (ids stay tensors); the token
    # strings for the parity count come from a separate, untimed pass.
    layer = BertTokenizer(vocab_file)
    dataset = (tf.data.Dataset.from_tensor_slices(lines).batch(1024)
               .map(layer, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))

    def run_graph():
        for _ in dataset:
            pass

    run_graph()  # warm-up: tracing and table initialisation
    results["clue-tf BertTokenizer (in-graph, tf.data)"] = best_time(run_graph, args.repeats)
    outputs["graph"] = [ours.convert_ids_to_tokens(row) for batch in dataset for row in batch.to_list()]

    try:
        from tokenizers import BertWordPieceTokenizer

        hf = BertWordPieceTokenizer(vocab_file, lowercase=True, strip_accents=True,
                                    handle_chinese_chars=True, clean_text=True)
        results["HF tokenizers BertWordPiece (Rust)"] = best_time(
            lambda: outputs.__setitem__(
                "hf", [e.tokens for e in hf.encode_batch(lines, add_special_tokens=False)]),
            args.repeats)
    except ImportError:
        print("(HF tokenizers not installed: pip install tokenizers)")

    google_rate = len(lines) / results["Google FullTokenizer (Python)"]
    print(f"\n{'tokenizer':44} {'lines/s':>10} {'x Google':>9} {'lines != Google':>16}")
    keys = {"Google FullTokenizer (Python)": "google", "clue-tf FullTokenizer (Python)": "python",
            "clue-tf BertTokenizer (in-graph, tf.data)": "graph",
            "HF tokenizers BertWordPiece (Rust)": "hf"}
    for name, seconds in results.items():
        rate = len(lines) / seconds
        differ = sum(a != b for a, b in zip(outputs["google"], outputs[keys[name]]))
        print(f"{name:44} {rate:10.0f} {rate / google_rate:9.1f} {differ:16d}")
    if "HF tokenizers BertWordPiece (Rust)" in results:
        ratio = results["HF tokenizers BertWordPiece (Rust)"] / results["clue-tf BertTokenizer (in-graph, tf.data)"]
        print(f"\nin-graph / HF tokenizers speed ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
