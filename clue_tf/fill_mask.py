"""`python -m clue_tf.fill_mask`: same as `clue-tf fill_mask`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("fill_mask"))
