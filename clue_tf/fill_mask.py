"""`python -m clue_tf.fill_mask`: same as `clue-tf fill_mask`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["fill_mask", *sys.argv[1:]]))
