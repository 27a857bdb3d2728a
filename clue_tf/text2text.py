"""`python -m clue_tf.text2text`: same as `clue-tf text2text`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("text2text"))
