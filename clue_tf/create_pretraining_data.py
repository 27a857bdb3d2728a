"""`python -m clue_tf.create_pretraining_data`: same as `clue-tf create_pretraining_data`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("create_pretraining_data"))
