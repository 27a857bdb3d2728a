"""`python -m clue_tf.convert`: same as `clue-tf convert`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("convert"))
