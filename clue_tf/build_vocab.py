"""`python -m clue_tf.build_vocab`: same as `clue-tf build_vocab`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["build_vocab", *sys.argv[1:]]))
