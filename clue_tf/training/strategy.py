"""One place that turns --strategy / --use_tpu flags into a tf.distribute strategy.

Every strategy runs the same training code; only this construction differs.
"""

import json
import os
from typing import Optional

import tensorflow as tf

from clue_tf.errors import ClueTfError

STRATEGIES = ("one_device", "mirrored", "multi_worker_mirrored", "tpu")


def make_strategy(
    name: str = "one_device", tpu_name: Optional[str] = None, tpu_zone: Optional[str] = None,
    gcp_project: Optional[str] = None, use_tpu: bool = False,
) -> tf.distribute.Strategy:
    """The strategy `name` names (`use_tpu=True`, Google's flag, means "tpu")."""
    if use_tpu:
        name = "tpu"
    if name == "one_device":
        device = "/gpu:0" if tf.config.list_logical_devices("GPU") else "/cpu:0"
        return tf.distribute.OneDeviceStrategy(device)
    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")] or \
                  [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker_mirrored":
        return tf.distribute.MultiWorkerMirroredStrategy()  # cluster from TF_CONFIG
    if name == "tpu":
        resolver = tpu_cluster_resolver(tpu_name, tpu_zone, gcp_project)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ClueTfError(f"unknown strategy {name!r}; one of {', '.join(STRATEGIES)}")


def tpu_cluster_resolver(tpu_name, tpu_zone, gcp_project):
    """Google's --tpu_name/--tpu_zone/--gcp_project as a TPUClusterResolver (without a name,
    TensorFlow looks in the environment: TPU_NAME, Colab, GKE)."""
    try:
        return tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu_name, zone=tpu_zone, project=gcp_project)
    except (ValueError, RuntimeError) as e:
        where = f"--tpu_name={tpu_name}" if tpu_name else "no --tpu_name"
        raise ClueTfError(f"--strategy=tpu: {where} and no TPU found ({e}); give --tpu_name=NAME or "
                          "grpc://ADDRESS:8470 (--tpu_name=local on a TPU VM)") from None


def is_chief_process() -> bool:
    """Whether this process writes the run's outputs: always, unless TF_CONFIG makes it a
    multi-worker task other than the chief (or than worker 0 where no chief is named)."""
    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    except json.JSONDecodeError:
        raise ClueTfError("TF_CONFIG is not JSON") from None
    task = config.get("task") or {}
    kind, index = task.get("type"), int(task.get("index", 0))
    if kind in (None, "chief"):
        return True
    has_chief = bool((config.get("cluster") or {}).get("chief"))
    return kind == "worker" and index == 0 and not has_chief


def check_float16_replicas(mixed_precision: str, strategy: tf.distribute.Strategy) -> None:
    """mixed_float16 runs on one replica: Keras 3's LossScaleOptimizer decides whether a step
    overflowed from the first replica's gradients only, so with several replicas an overflow
    on another one would reach the weights."""
    if mixed_precision == "mixed_float16" and strategy.num_replicas_in_sync > 1:
        raise ClueTfError(f"--mixed_precision=mixed_float16 with {strategy.num_replicas_in_sync} replicas: "
                          "float16 loss scaling runs on one replica here; use one device, or mixed_bfloat16")
