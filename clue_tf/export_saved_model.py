"""`python -m clue_tf.export_saved_model`: same as `clue-tf export_saved_model`."""

if __name__ == "__main__":
    from clue_tf.cli import run_command

    raise SystemExit(run_command("export_saved_model"))
