"""create_pretraining_data throughput and memory: Google's script beside ours, one run each.

  python benchmarks/pretraining_data_throughput.py [--corpus_mb=50] [--small_mb=10] [--dupe_factor=2]

Makes corpora of at least `--corpus_mb` and `--small_mb` MB under a temp dir from shuffled
copies of the CLUECorpusSmall sample's documents (files of about 2 MB, as a real corpus comes
in many files), then runs, each in a fresh process with the same vocab, seed and lengths
(128 / 20): Google's create_pretraining_data.py, our --google_exact, our fast single
process, and the Beam pipeline on the DirectRunner in process and with 1 and 2 worker
processes (multi_processing: the 2-worker ratio is against 1 worker of the same kind). Prints input
lines/s, instances/s, peak RSS (largest single process: the Beam workers are processes of
their own) and ratios; the fast and Beam paths also on the small corpus, to show that their
memory does not grow with the corpus. Times include reading and writing, not start-up.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEASURED = r"""
import json, os, resource, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, {root!r})
{setup}
start = time.perf_counter()
instances = {run}
seconds = time.perf_counter() - start
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print("RESULT " + json.dumps(dict(seconds=seconds, instances=instances, peak_mb=peak / 1024)))
"""

GOOGLE_SETUP = r"""
import random
from tests.oracles.google_bert import install_tf1_shims
tf = install_tf1_shims()
from absl import flags
from bert import create_pretraining_data as cpd, tokenization
flags.FLAGS.mark_as_parsed()
tf.python_io = getattr(tf, "python_io", tf.io)
tf.logging.set_verbosity(tf.logging.ERROR)
def google():
    tokenizer = tokenization.FullTokenizer({vocab!r}, do_lower_case=True)
    made = cpd.create_training_instances({inputs!r}, tokenizer, 128, {dupe}, 0.1, 0.15, 20, random.Random(12345))
    cpd.write_instance_to_example_files(made, tokenizer, 128, 20, [{output!r}])
    return len(made)
"""

OURS_SETUP = r"""
from clue_tf.cli import run_command
import io, contextlib
import tensorflow, apache_beam, clue_tf.data.beam_pipeline, clue_tf.cli.create_pretraining_data  # imports untimed
def ours(args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run_command("create_pretraining_data", args) == 0
    return int(out.getvalue().split("wrote ")[1].split()[0])
"""


def make_corpus(sample: Path, folder: Path, megabytes: int, file_mb: float = 2.0) -> tuple[list[str], int]:
    """Files of shuffled sample documents until `megabytes` are written; returns (files, lines)."""
    documents = [d.strip("\n") for d in sample.read_text(encoding="utf-8").split("\n\n") if d.strip()]
    rng = random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    files, lines, total, index = [], 0, 0, 0
    while total < megabytes * 2**20:
        rng.shuffle(documents)
        text = "\n\n".join(documents) + "\n"
        data = text.encode("utf-8")
        pieces = max(1, round(len(data) / (file_mb * 2**20)))
        step = -(-len(documents) // pieces)
        for start in range(0, len(documents), step):
            chunk = "\n\n".join(documents[start: start + step]) + "\n"
            path = folder / f"part-{index:05d}.txt"
            path.write_text(chunk, encoding="utf-8")
            files.append(str(path))
            lines += chunk.count("\n")
            total += len(chunk.encode("utf-8"))
            index += 1
    return files, lines


def measure(setup: str, run: str) -> dict:
    script = MEASURED.format(root=str(ROOT), setup=setup, run=run)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if result.returncode != 0:
        raise SystemExit(result.stderr[-4000:])
    line = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus_mb", type=int, default=50)
    parser.add_argument("--small_mb", type=int, default=10)
    parser.add_argument("--dupe_factor", type=int, default=2)
    parser.add_argument("--shared_dir", default=str(ROOT.parent / "shared"))
    parser.add_argument("--skip_google", action="store_true", help="leave out the two slow whole-corpus runs")
    args = parser.parse_args()
    shared = Path(args.shared_dir)
    sample = shared / "data" / "corpora" / "cluecorpussmall_bert_sampled.txt"
    vocab = str(shared / "data" / "vocab" / "google_zh_vocab.txt")
    tmp = Path(tempfile.mkdtemp(prefix="pretraining_data_bench_"))
    corpora = {"large": make_corpus(sample, tmp / "large", args.corpus_mb),
               "small": make_corpus(sample, tmp / "small", args.small_mb)}
    flags = [f"--vocab_file={vocab}", "--max_seq_length=128", "--max_predictions_per_seq=20", "--random_seed=12345",
             f"--dupe_factor={args.dupe_factor}"]
    beam_in_process = ["--runner=DirectRunner", "--direct_num_workers=1"]
    beam_one = ["--runner=DirectRunner", "--direct_num_workers=1", "--direct_running_mode=multi_processing"]
    beam_two = ["--runner=DirectRunner", "--direct_num_workers=2", "--direct_running_mode=multi_processing"]
    cases = []
    for size in ("large", "small"):
        files, _ = corpora[size]
        pattern = str(tmp / size / "*.txt")
        out = tmp / f"out-{size}"
        out.mkdir()
        common = [f"--input_file={pattern}", *flags]
        if size == "large" and not args.skip_google:
            cases.append((size, "Google create_pretraining_data.py", measure(
                GOOGLE_SETUP.format(vocab=vocab, inputs=files, dupe=args.dupe_factor, output=str(out / "google.tfrecord")),
                "google()")))
            cases.append((size, "clue-tf --google_exact", measure(
                OURS_SETUP, f"ours({[*common, f'--output_file={out}/exact.tfrecord', '--google_exact=true']!r})")))
        cases.append((size, "clue-tf fast, one process", measure(
            OURS_SETUP, f"ours({[*common, f'--output_file={out}/fast.tfrecord']!r})")))
        cases.append((size, "clue-tf Beam DirectRunner, in process", measure(
            OURS_SETUP, f"ours({[*common, f'--output_file={out}/beam0/rec', *beam_in_process]!r})")))
        cases.append((size, "clue-tf Beam DirectRunner, 1 worker", measure(
            OURS_SETUP, f"ours({[*common, f'--output_file={out}/beam1/rec', *beam_one]!r})")))
        cases.append((size, "clue-tf Beam DirectRunner, 2 workers", measure(
            OURS_SETUP, f"ours({[*common, f'--output_file={out}/beam2/rec', *beam_two]!r})")))

    google = next((r for s, name, r in cases if name.startswith("Google")), None)
    beam_one_large = next(r for s, name, r in cases if s == "large" and name.endswith("1 worker"))
    print(f"cores: {os.cpu_count()}; dupe_factor {args.dupe_factor}, max_seq_length 128, max_predictions 20")
    for size in ("large", "small"):
        files, lines = corpora[size]
        megabytes = sum(os.path.getsize(f) for f in files) / 2**20
        print(f"\n{size} corpus: {megabytes:.1f} MB, {len(files)} files, {lines} lines")
        print(f"  {'':38s} {'seconds':>8s} {'lines/s':>9s} {'inst/s':>9s} {'peak RSS':>9s}  ratio")
        for s, name, r in cases:
            if s != size:
                continue
            ratio = ""
            if google and size == "large":
                ratio = f"{google['seconds'] / r['seconds']:.2f}x Google"
            if name.endswith("2 workers") and size == "large":
                ratio += f"; {beam_one_large['seconds'] / r['seconds']:.2f}x Beam 1 worker"
            print(f"  {name:38s} {r['seconds']:8.1f} {lines / r['seconds']:9.0f} {r['instances'] / r['seconds']:9.0f} "
                  f"{r['peak_mb']:7.0f} MB  {ratio}")


if __name__ == "__main__":
    main()
