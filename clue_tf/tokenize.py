"""`python -m clue_tf.tokenize`: same as `clue-tf tokenize`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("tokenize"))
