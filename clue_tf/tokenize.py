"""`python -m clue_tf.tokenize`: same as `clue-tf tokenize`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["tokenize", *sys.argv[1:]]))
