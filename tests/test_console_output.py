"""What the library and commands print: plain progress lines in a redirected log, no TensorFlow notices."""

import io

from clue_tf.progress import Progress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_log_gets_plain_lines_per_interval_with_the_rate(monkeypatch):
    from clue_tf import progress as module

    clock = Clock()
    monkeypatch.setattr(module.time, "monotonic", clock)
    log = io.StringIO()  # not a terminal
    bar = Progress(600, unit_name="step", interval=30.0, stream=log)
    bar.update(0)
    for step in range(100, 700, 100):
        clock.now += 20.0  # 100 steps every 20 s: a line at most every 30 s, and the last one
        bar.update(step, [("loss", 1.5 - step / 1000), ("masked_lm_accuracy", step / 600)])
    lines = log.getvalue().splitlines()
    assert lines == [
        "step 100/600 - 20 s - 5 steps/s - loss: 1.4000 - masked_lm_accuracy: 0.1667",
        "step 300/600 - 60 s - 5 steps/s - loss: 1.2000 - masked_lm_accuracy: 0.5000",
        "step 500/600 - 100 s - 5 steps/s - loss: 1.0000 - masked_lm_accuracy: 0.8333",
        "step 600/600 - 120 s - 5 steps/s - loss: 0.9000 - masked_lm_accuracy: 1.0000",
    ]
    assert "\x1b" not in log.getvalue() and "\b" not in log.getvalue() and "\r" not in log.getvalue()


def test_a_terminal_gets_keras_bar():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert Progress(10, stream=Terminal()).bar is not None
    assert Progress(10, stream=io.StringIO()).bar is None


def test_importing_the_library_prints_no_tensorflow_notices(tmp_path):
    """TensorFlow's C++ start-up lines (CUDA probes, cuInit, oneDNN) stay out of a notebook's
    output unless TF_CPP_MIN_LOG_LEVEL asks for them."""
    import os
    import subprocess
    import sys

    code = "import clue_tf.checkpoints.folders, tensorflow as tf; tf.constant(1)"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    loud = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=dict(env, TF_CPP_MIN_LOG_LEVEL="0"))
    assert "oneDNN" in loud.stderr or "cuda" in loud.stderr.lower()  # the setting is honoured
