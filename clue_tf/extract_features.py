"""`python -m clue_tf.extract_features`: same as `clue-tf extract_features`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["extract_features", *sys.argv[1:]]))
