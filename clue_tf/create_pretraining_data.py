"""`python -m clue_tf.create_pretraining_data`: same as `clue-tf create_pretraining_data`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["create_pretraining_data", *sys.argv[1:]]))
