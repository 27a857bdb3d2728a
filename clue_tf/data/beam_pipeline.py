"""Pretraining records on Apache Beam (`pip install clue-tf[beam]`), for corpora that
outgrow one machine: DirectRunner locally, Dataflow, Flink or Spark with Beam's options.

Each input file is one unit of work (`FileExampleMaker`: per-document seeds, random next
from the same file), so the Examples do not depend on the runner or the worker count.
Records go through Beam's TFRecord sink (temp files renamed at the end, retries neither
lose nor duplicate), the counts through its text sink as `<output>.counts.json`.
"""

import collections
import contextlib
import logging
import os
import re
import time
from typing import Optional, Sequence

from clue_tf.data.document_seeds import file_keys
from clue_tf.data.file_examples import COUNT_NAMES, FileExampleMaker, PretrainingDataSettings
from clue_tf.data.record_counts import counts_path, counts_record
from clue_tf.errors import ClueTfError, InputTextError
from clue_tf.io.inputs import read_lines
from clue_tf.io.outputs import raise_disk_full

logger = logging.getLogger(__name__)

COUNTER_NAMESPACE = "clue_tf"
SHARD_NAME = r"-\d{5,}-of-\d{5,}"  # Beam's default shard template


def _beam():
    root = logging.getLogger()
    level = root.level
    if not logging.getLogger("apache_beam").isEnabledFor(logging.WARNING):
        root.setLevel(logging.ERROR)  # Beam's import warns of optional GCP clients on the root logger
    try:
        import apache_beam as beam
    except ImportError:
        raise ClueTfError("--runner needs Apache Beam: pip install 'clue-tf[beam]'") from None
    finally:
        root.setLevel(level)
    return beam


class WorkerProgress:
    """Progress of one DoFn instance on a local runner: a bar where stderr is a terminal (the
    in-process DirectRunner), one line per file on the controlling terminal from worker
    processes (their stderr is not the user's); nothing where there is no terminal (remote
    workers)."""

    def __init__(self, total_files: int):
        import sys

        from tqdm import tqdm

        self.bar, self.terminal, self.files, self.instances = None, None, 0, 0
        if sys.stderr.isatty():
            self.bar = tqdm(total=total_files, desc="files", unit=" files", leave=False)
            return
        try:
            self.terminal = open("/dev/tty", "w", buffering=1, encoding="utf-8")
        except OSError:
            pass
        self.total_files = total_files

    def file_done(self, path: str, instances: int) -> None:
        self.files += 1
        self.instances += instances
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(instances=self.instances, refresh=False)
        elif self.terminal is not None:
            self.terminal.write(f"worker {os.getpid()}: {os.path.basename(path)} -> {instances} instances "
                                f"(this worker so far: {self.files} files, {self.instances} instances; "
                                f"{self.total_files} files in the run)\n")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.terminal is not None:
            self.terminal.close()


def make_file_examples_fn(settings: PretrainingDataSettings, total_files: int = 0):
    """The DoFn: (file path, seed key) in, its serialized Examples out, its counts on the side."""
    beam = _beam()
    from apache_beam.metrics import Metrics

    class MakeFileExamples(beam.DoFn):
        def __init__(self, settings: PretrainingDataSettings, total_files: int):
            self.settings = settings
            self.total_files = total_files
            self.counters = {name: Metrics.counter(COUNTER_NAMESPACE, name) for name in COUNT_NAMES}

        def setup(self):
            import tensorflow as tf

            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            try:  # Beam runs a worker per core: TensorFlow threads in one would compete with the next
                tf.config.threading.set_intra_op_parallelism_threads(1)
                tf.config.threading.set_inter_op_parallelism_threads(1)
            except RuntimeError:  # TensorFlow already running in this process (in-process runner)
                pass
            self.maker = FileExampleMaker(self.settings)
            self.progress = WorkerProgress(self.total_files)

        def teardown(self):
            if getattr(self, "progress", None) is not None:
                self.progress.close()

        def process(self, path_and_key: tuple[str, str]):
            path, key = path_and_key
            start = time.perf_counter()
            made = self.maker.make(path, key)
            for name, value in made.counts.items():
                self.counters[name].inc(value)
            self.progress.file_done(path, made.counts["instances"])
            logger.info("%s: %d documents -> %d instances in %.1f s", path, made.counts["documents"],
                        made.counts["instances"], time.perf_counter() - start)
            yield from made.examples
            yield beam.pvalue.TaggedOutput("counts", dict(made.counts))

    return MakeFileExamples(settings, total_files)


def _add_counts(counts_list) -> dict:
    total: collections.Counter = collections.Counter()
    for counts in counts_list:
        total.update(counts)
    return dict(total)


def _counts_json(counts: dict, record_files: list, settings: dict) -> str:
    import json

    return json.dumps(counts_record(counts, record_files, settings), ensure_ascii=False)


def build_pipeline(pipeline, input_files: Sequence[str], output_prefix: str, settings: PretrainingDataSettings,
                   num_shards: int = 0):
    """Adds the steps to `pipeline`; returns the PCollection of the record files written."""
    beam = _beam()
    made = (pipeline
            | "InputFiles" >> beam.Create(sorted(file_keys(input_files).items()))
            | "SpreadFiles" >> beam.Reshuffle()
            | "MakeExamples" >> beam.ParDo(make_file_examples_fn(settings, len(input_files))).with_outputs("counts", main="examples"))
    written = made.examples | "WriteRecords" >> beam.io.WriteToTFRecord(
        output_prefix, coder=beam.coders.BytesCoder(), num_shards=num_shards)
    (made.counts
     | "AddCounts" >> beam.CombineGlobally(_add_counts)
     | "CountsJson" >> beam.Map(_counts_json, record_files=beam.pvalue.AsList(written),
                                settings=settings.as_dict())
     | "WriteCounts" >> beam.io.WriteToText(counts_path(output_prefix), shard_name_template="", num_shards=1))
    return written


def run_beam_pipeline(input_files: Sequence[str], output_prefix: str, settings: PretrainingDataSettings,
                      runner: str = "DirectRunner", num_shards: int = 0,
                      pipeline_args: Sequence[str] = ()) -> dict:
    """Runs the pipeline to the end; returns the counts. A failure removes Beam's temp
    files and leaves earlier complete outputs as they were. Refuses what the single-process
    path refuses: inputs without text, a corpus that makes no instances."""
    beam = _beam()
    import tensorflow as tf
    from apache_beam.options.pipeline_options import PipelineOptions

    if not input_files:
        raise ClueTfError("no input files")
    if num_shards < 0:
        raise ClueTfError(f"--num_shards={num_shards}: must be at least 0 (0: the runner decides)")
    options = PipelineOptions([f"--runner={runner}", *pipeline_args])
    check_pipeline_args(options, pipeline_args)
    pipeline = _new_pipeline(beam, options, runner)
    check_some_text(input_files)
    for folder in _temp_folders(output_prefix):  # left by an earlier run of this prefix that was killed
        tf.io.gfile.rmtree(folder)
    earlier_shards = _shards_of_earlier_run(output_prefix)
    try:
        with _quiet_beam_logs():
            build_pipeline(pipeline, input_files, output_prefix, settings, num_shards)
            result = pipeline.run()
            result.wait_until_finish()
    except BaseException as e:
        for folder in _temp_folders(output_prefix):
            tf.io.gfile.rmtree(folder)
        message = _our_error(e)
        if message:
            raise InputTextError(message) from None
        raise_disk_full(e, f"{output_prefix}-*")
        raise
    counts = _read_counts(output_prefix)
    if not counts["counts"].get("instances"):
        _remove_written(output_prefix, counts["record_files"])
        raise ClueTfError(f"{', '.join(input_files)}: no instances (documents too short for the objective)")
    _remove_stale_shards(output_prefix, earlier_shards, counts["record_files"])
    _log_counters(result)
    return counts["counts"]


def _new_pipeline(beam, options, runner: str):
    """A Pipeline on `runner`, or one line naming the runners Beam knows."""
    try:
        return beam.Pipeline(options=options)
    except ValueError as e:
        known = re.search(r"Valid values are (.+?) or the fully", str(e))
        if "runner" not in str(e).lower():
            raise
        raise ClueTfError(f"--runner={runner}: not a Beam runner (known: "
                          f"{known.group(1) if known else 'DirectRunner, DataflowRunner, FlinkRunner, SparkRunner'}, "
                          "or a PipelineRunner class's full name)") from None


def check_some_text(input_files: Sequence[str]) -> None:
    """Inputs whose every line is empty are refused before a worker starts (as the single
    process does); reads only up to the first line with text."""
    for path in input_files:
        if any(line.strip() for line in read_lines(path, errors="replace")):
            return
    raise ClueTfError(f"{', '.join(input_files)}: no text (every line is empty)")


@contextlib.contextmanager
def _quiet_beam_logs():
    """Where Beam's logs are quiet (the console's default), its workers' error records, full
    tracebacks, stay out of the output too: the one-line error that follows says it."""
    beam_logger = logging.getLogger("apache_beam")
    level = beam_logger.level
    if not beam_logger.isEnabledFor(logging.WARNING):
        beam_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        beam_logger.setLevel(level)


def _remove_written(output_prefix: str, record_files: Sequence[str]) -> None:
    """Removes the shards and counts file of a run that is refused after it wrote them."""
    import tensorflow as tf

    folder = os.path.dirname(output_prefix)
    for path in [os.path.join(folder, name) for name in record_files] + [counts_path(output_prefix)]:
        if tf.io.gfile.exists(path):
            tf.io.gfile.remove(path)


def _log_counters(result) -> None:
    """Beam's own counters, as the runner reports them (committed where it has them)."""
    from apache_beam.metrics.metric import MetricsFilter

    try:
        found = result.metrics().query(MetricsFilter().with_namespace(COUNTER_NAMESPACE))["counters"]
    except Exception:  # a runner without metrics support
        return
    for counter in found:
        value = counter.committed if counter.committed is not None else counter.attempted
        logger.info("Beam counter %s: %s", counter.key.metric.name, value)


def check_pipeline_args(options, pipeline_args: Sequence[str]) -> None:
    """Beam drops flags it does not know with a warning; a misspelt flag is an error here."""
    known = options.get_all_options(drop_default=False, retain_unknown_options=False)
    for arg in pipeline_args:
        if arg.startswith("--"):
            name = arg[2:].split("=", 1)[0].replace("-", "_")
            if name not in known:
                raise ClueTfError(f"unknown flag {arg!r}: neither create_pretraining_data's nor an Apache Beam "
                                  "pipeline option")


def _temp_folders(output_prefix: str) -> list[str]:
    """Beam's temp folders for this prefix's sinks (`beam-temp-<name>-<uuid>`, also the counts')."""
    import tensorflow as tf

    folder = os.path.dirname(output_prefix) or "."
    base = os.path.basename(output_prefix)
    ours = re.compile(rf"beam-temp-{re.escape(base)}(?:{re.escape(counts_path(''))})?-[0-9a-f]{{32}}")
    return [f for f in tf.io.gfile.glob(os.path.join(folder, f"beam-temp-{base}*"))
            if ours.fullmatch(os.path.basename(f.rstrip("/"))) and tf.io.gfile.isdir(f)]


def _our_error(error: BaseException) -> Optional[str]:
    """The message of a clue-tf error raised inside a worker, which Beam re-raises wrapped."""
    text = f"{error}"
    found = re.search(r"clue_tf\.errors\.\w+: (.+)", text) or re.search(r"\b(?:InputTextError|ClueTfError): (.+)", text)
    if not found:
        return None
    message = found.group(1).strip().rstrip("'\"").replace("\\n", "")
    return re.sub(r"\s*\[while running '[^\]]*'\]$", "", message)  # Beam's step name


def _read_counts(output_prefix: str) -> dict:
    import json

    import tensorflow as tf

    with tf.io.gfile.GFile(counts_path(output_prefix)) as f:
        return json.load(f)


def _shards_of_earlier_run(output_prefix: str) -> list[str]:
    """The shards an earlier run of this command wrote under the prefix (its counts file)."""
    try:
        return list(_read_counts(output_prefix)["record_files"])
    except Exception:  # no earlier run, or not our counts file: nothing is ours to remove
        return []


def _remove_stale_shards(output_prefix: str, earlier: Sequence[str], written: Sequence[str]) -> None:
    """Shards of the earlier run that this one did not replace (another shard count) would mix
    into a glob: remove them, and only them."""
    import tensorflow as tf

    folder = os.path.dirname(output_prefix)
    for name in set(earlier) - set(written):
        if re.fullmatch(re.escape(os.path.basename(output_prefix)) + SHARD_NAME, name):
            path = os.path.join(folder, name)
            if tf.io.gfile.exists(path):
                tf.io.gfile.remove(path)
