"""A pretraining run in its own process, for tests that need a fresh TensorFlow:
two logical CPU devices (set before TensorFlow starts), or a run to kill and resume.

Usage: python run_worker.py SETTINGS.json OUT.json [LOGICAL_CPUS]
Writes the per-step losses and a digest of the final weights to OUT.json.
"""

import json
import sys

import numpy as np
import tensorflow as tf


def main(settings_path, out_path, logical_cpus="1"):
    if int(logical_cpus) > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(int(logical_cpus))])
    from clue_tf.training.pretraining import Pretrainer, PretrainingSettings, weights_digest

    all_reduces = count_all_reduces()
    trainer = Pretrainer(PretrainingSettings(**json.load(open(settings_path))))
    trainer.train()
    digest = weights_digest(trainer.model)
    json.dump({"replicas": trainer.strategy.num_replicas_in_sync, "all_reduces": all_reduces,
               "optimizer": type(trainer.optimizer).__name__,
               "losses": [m["loss"] for _, m in trainer.history],
               "weights_sum": float(np.sum(digest, dtype=np.float64)),
               "weights": digest[:: max(1, digest.size // 5000)].tolist()}, open(out_path, "w"))


def count_all_reduces() -> dict:
    """Counts the all-reduces traced into the step: of one tensor (the loss weight) and of many
    (gradients), by wrapping ReplicaContext.all_reduce."""
    counts = {"one_tensor": 0, "many_tensors": 0}
    original = tf.distribute.ReplicaContext.all_reduce

    def counted(self, reduce_op, value, options=None):
        counts["many_tensors" if len(tf.nest.flatten(value)) > 1 else "one_tensor"] += 1
        return original(self, reduce_op, value, options)

    tf.distribute.ReplicaContext.all_reduce = counted
    return counts


if __name__ == "__main__":
    main(*sys.argv[1:])
