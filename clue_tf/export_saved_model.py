"""`python -m clue_tf.export_saved_model`: same as `clue-tf export_saved_model`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["export_saved_model", *sys.argv[1:]]))
