"""`python -m clue_tf.build_vocab`: same as `clue-tf build_vocab`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("build_vocab"))
