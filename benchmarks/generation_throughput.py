"""Greedy generation speed of T5 v1.1 / Pegasus: ours with and without the KV cache, and
HF transformers (PyTorch, CPU) on the same weights, measured in one run.

  python benchmarks/generation_throughput.py [--model=uer/t5-v1_1-small-chinese-cluecorpussmall]
         [--batch_sizes=1,8] [--source_length=64] [--new_tokens=64]

The model is the registry architecture with random weights, exported once and loaded by
both sides. Stopping is switched off so every run generates exactly --new_tokens tokens.
Figures: generated tokens/s (batch * new tokens / seconds), best of --repeats after a
warm-up call (which also traces the TensorFlow functions).
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up / tracing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def random_seq2seq(model_name: str, **sizes):
    """The registry architecture (with `sizes` replacing config fields) with random weights,
    written as an HF folder and loaded back; returns (our LoadedModel, the folder) with
    stopping switched off (fixed work per run)."""
    import dataclasses

    import keras

    from clue_tf.checkpoints.folders import load, locate, write
    from clue_tf.checkpoints.registry import registry_entry

    entry = registry_entry(model_name)
    config = dataclasses.replace(entry.config, **sizes)
    keras.utils.set_random_seed(0)
    folder = tempfile.mkdtemp()
    vocab = os.path.join(folder, "vocab_src.txt")
    with open(vocab, "w", encoding="utf-8") as f:
        special = {0: "[PAD]", 100: "[UNK]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]"}
        f.writelines(special.get(i, f"[unused{i}]") + "\n" for i in range(config.vocab_size))
    write(os.path.join(folder, "model"), entry.family.build(config), entry.family, config, vocab, "hf")
    ours = load(locate(os.path.join(folder, "model"), vocab_file=vocab))
    ours.config.stop_token_id = -1
    return ours, folder


def random_sources(vocab_size: int, batch: int, source_length: int, seed: int = 0) -> list:
    """`batch` id rows of `source_length`: [CLS], random ids, [SEP]."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [[101, *rng.integers(200, vocab_size - 200, source_length - 2).tolist(), 102] for _ in range(batch)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="uer/t5-v1_1-small-chinese-cluecorpussmall")
    parser.add_argument("--batch_sizes", default="1,8")
    parser.add_argument("--source_length", type=int, default=64)
    parser.add_argument("--new_tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    import torch
    import transformers

    from clue_tf.inference.text2text import generate_ids, pad_batch

    torch.set_num_threads(args.threads)
    ours, folder = random_seq2seq(args.model)
    config = ours.config
    theirs = transformers.AutoModelForSeq2SeqLM.from_pretrained(os.path.join(folder, "model")).eval()
    max_length = args.new_tokens + 1  # the start token counts

    print(f"{args.model}: {ours.model.count_params() / 1e6:.1f}M parameters, source {args.source_length} "
          f"tokens, {args.new_tokens} new tokens, greedy, CPU threads {args.threads}")
    print(f"{'batch':>5} {'ours cached':>12} {'ours no cache':>14} {'HF cached':>10} {'HF no cache':>12} "
          f"{'cache gain':>10} {'ours/HF':>8}   (tokens/s)")
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        sources = random_sources(config.vocab_size, batch, args.source_length, seed=batch)
        ids, mask = pad_batch(sources)
        tokens = batch * args.new_tokens

        def hf(use_cache):
            with torch.no_grad():
                theirs.generate(input_ids=torch.tensor(ids).long(), attention_mask=torch.tensor(mask).long(),
                                max_length=max_length, min_length=max_length, do_sample=False, num_beams=1,
                                use_cache=use_cache, decoder_start_token_id=101, eos_token_id=None,
                                forced_eos_token_id=None, pad_token_id=0)

        rates = [tokens / best_time(fn, args.repeats) for fn in (
            lambda: generate_ids(ours.model, ours.config, sources, max_length, use_cache=True),
            lambda: generate_ids(ours.model, ours.config, sources, max_length, use_cache=False),
            lambda: hf(True), lambda: hf(False))]
        print(f"{batch:>5} {rates[0]:>12.1f} {rates[1]:>14.1f} {rates[2]:>10.1f} {rates[3]:>12.1f} "
              f"{rates[0] / rates[1]:>9.1f}x {rates[0] / rates[2]:>7.2f}x")


if __name__ == "__main__":
    main()
