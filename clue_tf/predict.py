"""`python -m clue_tf.predict`: same as `clue-tf predict`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("predict"))
