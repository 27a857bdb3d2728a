"""`python -m clue_tf.text2text`: same as `clue-tf text2text`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["text2text", *sys.argv[1:]]))
