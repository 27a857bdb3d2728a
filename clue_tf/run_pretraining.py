"""`python -m clue_tf.run_pretraining`: same as `clue-tf run_pretraining`."""

if __name__ == "__main__":
    import sys

    from clue_tf.cli import main

    raise SystemExit(main(["run_pretraining", *sys.argv[1:]]))
