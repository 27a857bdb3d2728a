"""`python -m clue_tf.convert`: same as `clue-tf convert`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["convert", *sys.argv[1:]]))
