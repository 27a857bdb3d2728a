"""`python -m clue_tf.run_classifier`: same as `clue-tf run_classifier`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["run_classifier", *sys.argv[1:]]))
