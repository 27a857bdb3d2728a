"""TNEWS fine-tuning accuracy: Google's run_classifier vs clue-tf run_classifier, same start.

  python benchmarks/finetune_vs_google.py [--seeds=1,2] [--train_lines=20000] [--out=DIR]

The start: an L4/H256/A4/I1024 BERT on Google's Chinese vocab, pretrained --pretrain_steps
(1,000) steps on the CLUECorpusSmall sample with clue-tf run_pretraining. Then TNEWS, the
first --train_lines train lines, all 10,000 dev lines, seq 64, batch 32, lr 1e-4, warmup
0.1, 3 epochs, per seed: Google's model, loss and optimization.create_optimizer in a TF1
graph (tests/oracles/google_bert.py finetune) and `clue-tf run_classifier
--bucket_by_length=false`. Prints dev accuracy after each epoch for both, and the best, then
the median training-step time of both at these shapes and their ratio
(benchmarks/finetune_step_vs_google.py, same start bundle and data).
Needs ../shared and the test extra (bert-tensorflow, tf-keras). One run takes ~35 min on 2 cores.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

CONFIG = {"vocab_size": 21128, "hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4,
          "intermediate_size": 1024, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
          "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 512, "type_vocab_size": 2,
          "initializer_range": 0.02}


def run(command: list, env: dict = None) -> None:
    done = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{done.stderr[-3000:]}")


def pretrained_start(shared: Path, work: Path, steps: int) -> Path:
    """The start bundle (kept in --out, so a rerun reuses it)."""
    if (work / "pretrain" / "bundle" / "bert_model.ckpt.index").exists():
        return work / "pretrain" / "bundle"
    vocab = shared / "data" / "vocab" / "google_zh_vocab.txt"
    (work / "bert_config.json").write_text(json.dumps(CONFIG))
    cli = [str(Path(sys.executable).parent / "clue-tf")]
    run(cli + ["create_pretraining_data", f"--input_file={shared / 'data/corpora/cluecorpussmall_bert_sampled.txt'}",
               f"--output_file={work / 'pretrain.tfrecord'}", f"--vocab_file={vocab}", "--max_seq_length=128",
               "--max_predictions_per_seq=20", "--dupe_factor=2"])
    run(cli + ["run_pretraining", f"--input_file={work / 'pretrain.tfrecord'}", f"--output_dir={work / 'pretrain'}",
               f"--bert_config_file={work / 'bert_config.json'}", f"--vocab_file={vocab}", "--do_train=true",
               "--max_seq_length=128", "--max_predictions_per_seq=20", "--train_batch_size=32",
               f"--num_train_steps={steps}", f"--num_warmup_steps={steps // 10}", "--learning_rate=1e-4",
               f"--save_checkpoints_steps={steps}"])
    return work / "pretrain" / "bundle"


def tnews_folder(shared: Path, work: Path, train_lines: int, dev_lines: int = None) -> Path:
    """TNEWS' first `train_lines` train lines, its dev file (or its first `dev_lines`) and labels."""
    source = shared / "data" / "clue" / "tnews_public"
    data = work / "tnews"
    data.mkdir(exist_ok=True)
    for name, count in (("train.json", train_lines), ("dev.json", dev_lines)):
        lines = (source / name).read_text(encoding="utf-8").splitlines(keepends=True)[:count]
        (data / name).write_text("".join(lines), encoding="utf-8")
    (data / "labels.json").write_bytes((source / "labels.json").read_bytes())
    return data


def google_jsonl(data: Path, work: Path) -> tuple:
    """The task files as Google's InputExamples want them (text_a, label strings)."""
    from clue_tf.tasks.clue import get_task, read_examples

    task = get_task("tnews")
    paths = []
    for name in ("train.json", "dev.json"):
        path = work / f"google_{name}l"
        with open(path, "w", encoding="utf-8") as f:
            for e in read_examples(task, str(data / name), True):
                f.write(json.dumps({"text_a": e.text_a, "text_b": e.text_b,
                                    "label": e.label}, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths, list(task.labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--train_lines", type=int, default=20000)
    parser.add_argument("--pretrain_steps", type=int, default=1000)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--shared_dir", default=str(ROOT.parent / "shared"))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    from clue_tf.tasks.classifier import ClassifierSettings, run_classifier

    shared = Path(args.shared_dir)
    work = Path(args.out or tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    start = time.time()
    bundle = pretrained_start(shared, work, args.pretrain_steps)
    data = tnews_folder(shared, work, args.train_lines)
    (train_jsonl, dev_jsonl), labels = google_jsonl(data, work)
    print(f"start bundle pretrained in {time.time() - start:.0f} s", flush=True)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        settings = {"train": str(train_jsonl), "dev": str(dev_jsonl), "labels": labels, "seed": seed,
                    "vocab_file": str(bundle / "vocab.txt"), "config_file": str(bundle / "bert_config.json"),
                    "init_checkpoint": str(bundle / "bert_model.ckpt"), "max_seq_length": 64, "batch_size": 32,
                    "learning_rate": 1e-4, "epochs": args.epochs, "warmup_proportion": 0.1}
        (work / f"google_{seed}.json").write_text(json.dumps(settings))
        run([sys.executable, str(ROOT / "tests" / "oracles" / "google_bert.py"), "finetune",
             str(work / f"google_{seed}.json"), str(work / f"google_{seed}_out.json")], {"TF_USE_LEGACY_KERAS": "1"})
        google = json.loads((work / f"google_{seed}_out.json").read_text())["dev_accuracy_per_epoch"]
        ours = run_classifier(ClassifierSettings(
            task_name="tnews", data_dir=str(data), output_dir=str(work / f"ours_{seed}"), bundle_dir=str(bundle),
            do_train=True, max_seq_length=64, train_batch_size=32, eval_batch_size=64, learning_rate=1e-4,
            num_train_epochs=args.epochs, warmup_proportion=0.1, bucket_by_length=False, seed=seed))
        rows.append((seed, google, ours["train"]["val_accuracy"]))
        print(f"seed {seed}: google {google}, ours {ours['train']['val_accuracy']}", flush=True)
    print("\n| system | seed | dev accuracy per epoch | best |\n| --- | --- | --- | --- |")
    for seed, google, ours in rows:
        for name, values in (("Google run_classifier (TF1 graph)", google),
                             ("clue-tf run_classifier --bucket_by_length=false", ours)):
            print(f"| {name} | {seed} | {', '.join(f'{100 * v:.2f}' for v in values)} | {100 * max(values):.2f} |")
    import machine
    import finetune_step_vs_google as steps

    timing = argparse.Namespace(seq=64, batch=32, steps=60, eval_batch=128, xla=False, skip_eval=True)
    google_step = steps.google_seconds_per_step(bundle, data, work, timing)
    our_step, _ = steps.ours(bundle, data, work / "step_timing", timing)
    print(f"\nmedian training step, seq 64, batch 32, fixed padding ({machine.cpu_name()}): Google "
          f"{google_step:.3f} s, clue-tf {our_step:.3f} s, ratio Google / clue-tf {google_step / our_step:.2f}x")
    print(f"\n({time.time() - start:.0f} s in all)")


if __name__ == "__main__":
    main()
