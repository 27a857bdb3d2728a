"""`python -m clue_tf.extract_features`: same as `clue-tf extract_features`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("extract_features"))
