"""int8 SavedModels: the oneDNN int8 matmul against integer arithmetic in numpy, and the
exported model against the float32 one, served where clue_tf cannot be imported."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.serving.export import export_saved_model
from clue_tf.serving.int8 import int8_matmul
from clue_tf.tasks.served import report_dev_accuracy
from tests.helpers import shared_path
from tests.serving.test_saved_model import (MAX_SEQ_LENGTH, classifier_bundle, lines_of, serve_without_clue_tf,
                                            task_settings)

ENCODER_DENSE_PER_LAYER = 6  # query, key, value, attention output, intermediate, output
INT8_PRODUCTS_PER_LAYER = 4  # query, key and value as one (models/fused_attention.py)


def per_token_int8_reference(x: np.ndarray, kernel: np.ndarray, kernel_scale: np.ndarray) -> np.ndarray:
    """The int8 product in exact integer arithmetic: each row divided by its largest magnitude
    in int8 steps of 1/127, times the int8 kernel, then scaled back."""
    row_max = np.maximum(np.abs(x).max(1, keepdims=True), 1e-12)
    steps = np.rint(x / row_max * 127.0).astype(np.int64)  # tf.round rounds half to even, as np.rint
    return (steps @ kernel.astype(np.int64)) / 127.0 * row_max / kernel_scale


def test_int8_matmul_is_the_integer_product():
    rng = np.random.RandomState(0)
    x = rng.normal(0.2, 1.0, [37, 96]).astype(np.float32)
    x[3] *= 40.0  # an outlier token does not coarsen the others
    x[5] = 0.0  # an all-zero row stays zero
    kernel = rng.randint(-127, 128, [96, 24]).astype(np.int8)
    kernel_scale = rng.uniform(50, 500, [24]).astype(np.float32)
    got = int8_matmul(tf.constant(x), tf.constant(kernel), tf.constant(kernel_scale),
                      tf.constant(kernel.astype(np.float32).sum(0))).numpy()
    expected = per_token_int8_reference(x.astype(np.float64), kernel, kernel_scale.astype(np.float64))
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5 * np.abs(expected).max())
    assert np.abs(got[5]).max() < 1e-6
    exact = x.astype(np.float64) @ (kernel / kernel_scale.astype(np.float64))
    assert np.abs(got - exact).max() < 0.02 * np.abs(exact).max()  # and it is close to the float product


def test_stacked_int8_product_is_the_layers_products_side_by_side():
    """Query, key and value in one int8 call: each unit keeps its scale and each token its
    magnitude, so the product is the three layers' own, concatenated."""
    import keras

    from clue_tf.serving.int8 import quantize_encoder_int8, stacked_int8_product

    attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)
    x = tf.random.stateless_normal([3, 5, 16], [5, 6])
    attention(x, x)
    layers = [attention._query_dense, attention._key_dense, attention._value_dense]
    for layer in layers:
        layer.bias.assign(tf.random.stateless_normal(layer.bias.shape, [7, 8]))
    quantize_encoder_int8(attention)
    stacked = stacked_int8_product(layers, tf.reshape(x, [-1, 16])).numpy()
    separate = np.concatenate([tf.reshape(layer(x), [15, -1]).numpy() for layer in layers], axis=1)
    np.testing.assert_allclose(stacked, separate, rtol=1e-6, atol=1e-6)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """(float32 SavedModel, int8 SavedModel, settings of the int8 one, a folder with TNEWS's
    first 600 dev lines)."""
    tmp = tmp_path_factory.mktemp("int8")
    data = tmp / "tnews"
    data.mkdir()
    dev = lines_of(shared_path("data/clue/tnews_public/dev.json"))[:600]
    (data / "dev.json").write_text("\n".join(dev) + "\n", encoding="utf-8")
    vocab = shared_path("data/vocab/google_zh_vocab.txt")
    bundle = classifier_bundle(tmp / "bundle", vocab, 15, seed=15)
    paths = {}
    for precision in ("float32", "int8"):
        settings = task_settings(str(tmp / precision), bundle_dir=str(bundle), task_name="tnews",
                                 max_seq_length=MAX_SEQ_LENGTH, precision=precision)
        export_saved_model(settings)
        paths[precision] = settings
    return paths["float32"].export_dir, paths["int8"].export_dir, paths["int8"], data


def int8_constants(saved_model: Path) -> list:
    """The int8 tensors the SavedModel's graphs hold as constants, one entry per Const node."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString((saved_model / "saved_model.pb").read_bytes())
    graph = proto.meta_graphs[0].graph_def
    nodes = [node for function in graph.library.function for node in function.node_def] + list(graph.node)
    return [node.attr["value"].tensor.tensor_shape for node in nodes
            if node.op == "Const" and node.attr["dtype"].type == tf.int8.as_datatype_enum]


def test_int8_export_holds_each_int8_kernel_once_as_a_graph_constant(exports):
    """The int8 kernels are constants of the one encoder graph every signature calls (oneDNN
    keeps a constant weight's reordered copy between calls), not variables, and no float
    kernel of theirs is left."""
    _, int8, _, _ = exports
    constants = int8_constants(Path(int8))
    assert len(constants) == 2 * INT8_PRODUCTS_PER_LAYER + 1  # two layers and the pooler
    hidden, intermediate = 32, 64
    assert sum(np.prod([d.size for d in shape.dim]) for shape in constants) == \
        2 * (4 * hidden * hidden + 2 * hidden * intermediate) + hidden * hidden  # every kernel, once
    dtypes = tf.train.load_checkpoint(str(Path(int8) / "variables" / "variables")).get_variable_to_dtype_map()
    assert not [name for name, dtype in dtypes.items() if dtype == tf.int8]
    assert len([name for name in dtypes if "kernel_scale" in name]) == 2 * ENCODER_DENSE_PER_LAYER + 1
    float_kernels = [name for name in dtypes if name.endswith("kernel/.ATTRIBUTES/VARIABLE_VALUE")]
    assert len(float_kernels) <= 2, float_kernels  # the heads' own dense layers stay float32
    graph = Path(int8, "saved_model.pb").read_bytes()
    assert b"QuantizedMatMulWithBiasAndDequantize" in graph


def test_only_the_int8_export_names_the_oneDNN_layer_norm(exports):
    """A float SavedModel loads on any TensorFlow (GPU, no oneDNN); the int8 one is oneDNN's already."""
    from clue_tf.models.layer_norm import OP_TYPE, fused_kernel_usable

    if not tf.function(fused_kernel_usable)():
        pytest.skip("this TensorFlow has no oneDNN LayerNorm kernel here")
    float32, int8, _, _ = exports
    assert OP_TYPE.encode() not in Path(float32, "saved_model.pb").read_bytes()
    assert OP_TYPE.encode() in Path(int8, "saved_model.pb").read_bytes()


def test_int8_serves_float32_labels_without_clue_tf(exports, tmp_path):
    float32, int8, _, data = exports
    texts = [json.loads(line)["sentence"] for line in lines_of(data / "dev.json")[:400]]
    rows = [{"text_a": text} for text in texts]
    quantized = serve_without_clue_tf(Path(int8), "serving_default", rows, tmp_path)
    reference = tf.saved_model.load(float32).signatures["serving_default"](text_a=tf.constant(texts))
    labels = np.array([o["label_id"] for o in quantized])
    probabilities = np.array([o["probabilities"] for o in quantized])
    assert len(set(labels.tolist())) >= 3  # the head is not constant
    assert (labels == reference["label_id"].numpy()).mean() > 0.9
    assert np.abs(probabilities - reference["probabilities"].numpy()).max() < 0.2


def test_int8_report_names_float32_accuracy_and_moved_labels(exports):
    _, _, settings, data = exports
    line = report_dev_accuracy(settings, str(data / "dev.json"))
    match = re.search(r"float32 ([0-9.]+), int8 ([0-9.]+) \(([-+][0-9.]+) points; (\d+) of 600 labels differ", line)
    assert match, line
    assert int(match.group(4)) < 60
    assert float(match.group(3)) == pytest.approx(float(match.group(2)) - float(match.group(1)), abs=0.011)
