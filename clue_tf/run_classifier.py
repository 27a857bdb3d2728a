"""`python -m clue_tf.run_classifier`: same as `clue-tf run_classifier`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("run_classifier"))
