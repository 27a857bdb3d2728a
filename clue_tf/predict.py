"""`python -m clue_tf.predict`: same as `clue-tf predict`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["predict", *sys.argv[1:]]))
