"""A run_classifier training run in its own process (one or two logical CPUs), for the
multi-replica clipping test. Usage: python finetune_worker.py SETTINGS.json OUT.json CPUS [CLIP]
CLIP overrides Google's clip norm ("none": no clipping). Dropout is off, so runs compare
exactly. Writes the epoch losses and a digest of the trained weights."""

import functools
import json
import sys

import keras
import numpy as np
import tensorflow as tf


def main(settings_path, out_path, logical_cpus="1", clip="1.0"):
    if int(logical_cpus) > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(int(logical_cpus))])
    from clue_tf.tasks import classifier
    from clue_tf.training.optimization import make_optimizer
    from clue_tf.training.pretraining import weights_digest

    classifier.make_optimizer = functools.partial(make_optimizer, clip_norm=None if clip == "none" else float(clip))
    run = classifier.ClassifierRun(classifier.ClassifierSettings(**json.load(open(settings_path))))
    for layer in run.model._flatten_layers():
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0  # replicas draw other dropout masks than one device; compare without
    history = run.train()
    digest = weights_digest(run.model)
    json.dump({"replicas": run.strategy.num_replicas_in_sync, "loss": history["loss"],
               "optimizer": type(run.model.optimizer).__name__,
               "weights": digest[:: max(1, digest.size // 5000)].tolist()}, open(out_path, "w"))


if __name__ == "__main__":
    main(*sys.argv[1:])
