"""The serving functions: raw strings in, labels / features / masked-token guesses out.

Each function is the whole path a request takes (UTF-8 cleanup, Google-exact tokenizer,
run_classifier's packing and truncation, the encoder and a head), written with TF and
tensorflow-text ops only, so the SavedModel that holds them needs neither clue_tf nor Keras.
"""

from typing import Optional

import keras
import tensorflow as tf

from clue_tf.models.backbones import find_encoder
from clue_tf.tokenization.graph_encoding import encode_in_graph

STRING_BATCH = tf.TensorSpec([None], tf.string)


def clean_utf8(texts: tf.Tensor) -> tf.Tensor:
    """Drops bytes that are not UTF-8, as Google's `convert_to_unicode` does
    (`decode("utf-8", "ignore")`), so a bad request gives a defined result, not an error."""
    return tf.strings.unicode_transcode(texts, "UTF-8", "UTF-8", errors="ignore", replace_control_characters=False)


def same_batch(text_a: tf.Tensor, text_b: tf.Tensor) -> list:
    """A clear error (not a crash) when text_a and text_b hold different numbers of rows."""
    return [tf.debugging.assert_equal(tf.size(text_a), tf.size(text_b),
                                      message="text_a and text_b must have the same number of rows")]


def dense_inputs(ids: tf.RaggedTensor, segments: tf.RaggedTensor) -> dict:
    """The encoder's inputs, padded to the batch's longest row (Google's zero padding);
    at least [CLS] [SEP] wide, so an empty batch still has a first position to pool."""
    shape = tf.stack([ids.nrows(), tf.maximum(ids.bounding_shape(axis=1), 2)])
    return {"token_ids": ids.to_tensor(0, shape=shape), "segment_ids": segments.to_tensor(0, shape=shape),
            "padding_mask": tf.ones_like(ids).to_tensor(0, shape=shape)}


def find_layer(model: keras.Model, name: str) -> Optional[keras.layers.Layer]:
    try:
        return model.get_layer(name)
    except ValueError:
        return None


class ServingFunctions:
    """Builds the tf.functions a SavedModel serves, from a loaded model and its tokenizers."""

    def __init__(self, model: keras.Model, tokenizer, mask_tokenizer, max_seq_length: int,
                 labels: Optional[list] = None, top_k: int = 5):
        encoder = self.encoder = find_encoder(model)
        # One traced encoder that every signature calls, so the SavedModel holds its graph (and
        # an int8 model's constant kernels) once, not once a signature.
        self.run_encoder = tf.function(lambda inputs: encoder(inputs, training=False), autograph=False)
        self.classifier_head = find_layer(model, "classifier_head")
        self.masked_lm_head = find_layer(model, "masked_lm_head")
        self.tokenizer = tokenizer
        self.mask_tokenizer = mask_tokenizer
        self.max_seq_length = max_seq_length
        self.labels = labels
        self.top_k = top_k

    def _encode(self, text_a, text_b=None):
        text_a = clean_utf8(text_a)
        text_b = None if text_b is None else clean_utf8(text_b)
        ids, segments = encode_in_graph(self.tokenizer, text_a, text_b, self.max_seq_length)
        inputs = dense_inputs(ids, segments)
        return inputs, self.run_encoder(inputs)

    def _classify(self, text_a, text_b=None) -> dict:
        _, outputs = self._encode(text_a, text_b)
        logits = tf.cast(self.classifier_head(outputs["pooled_output"]), tf.float32)
        probabilities = tf.nn.softmax(logits)
        label_id = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {"label": tf.gather(tf.constant(self.labels), label_id), "label_id": label_id,
                "probabilities": probabilities}

    def _features(self, text_a, text_b=None) -> dict:
        inputs, outputs = self._encode(text_a, text_b)
        return {"pooled_output": tf.cast(outputs["pooled_output"], tf.float32),
                "sequence_output": tf.cast(outputs["sequence_output"], tf.float32),
                "token_ids": inputs["token_ids"], "padding_mask": inputs["padding_mask"]}

    def classify(self):
        @tf.function(input_signature=[STRING_BATCH])
        def classify(text_a):
            return self._classify(text_a)

        return classify

    def classify_pair(self):
        @tf.function(input_signature=[STRING_BATCH, STRING_BATCH])
        def classify_pair(text_a, text_b):
            with tf.control_dependencies(same_batch(text_a, text_b)):
                return self._classify(tf.identity(text_a), tf.identity(text_b))

        return classify_pair

    def features(self):
        @tf.function(input_signature=[STRING_BATCH])
        def features(text_a):
            return self._features(text_a)

        return features

    def features_pair(self):
        @tf.function(input_signature=[STRING_BATCH, STRING_BATCH])
        def features_pair(text_a, text_b):
            with tf.control_dependencies(same_batch(text_a, text_b)):
                return self._features(tf.identity(text_a), tf.identity(text_b))

        return features_pair

    def tokenize(self):
        @tf.function(input_signature=[STRING_BATCH])
        def tokenize(text):
            ids = tf.cast(self.tokenizer(clean_utf8(text)), tf.int32)
            return {"token_ids": ids.to_tensor(0), "lengths": tf.cast(ids.row_lengths(), tf.int32)}

        return tokenize

    def fill_mask(self):
        """Per text: the `top_k` tokens for each [MASK] (rows padded with -1 / "" / 0)."""
        vocab = tf.constant(self.mask_tokenizer.get_vocabulary())
        mask_id = self.mask_tokenizer.token_to_id("[MASK]")

        @tf.function(input_signature=[STRING_BATCH])
        def fill_mask(text):
            ids, segments = encode_in_graph(self.mask_tokenizer, clean_utf8(text), None, self.max_seq_length)
            inputs = dense_inputs(ids, segments)
            sequence = self.run_encoder(inputs)["sequence_output"]
            is_mask = tf.equal(ids, mask_id)
            positions = tf.ragged.boolean_mask(tf.ragged.range(ids.row_lengths()), is_mask)
            mask_positions = tf.cast(positions.to_tensor(-1), tf.int32)
            logits = self.masked_lm_head(sequence, mask_positions=tf.maximum(mask_positions, 0))
            scores, token_ids = tf.math.top_k(tf.nn.softmax(tf.cast(logits, tf.float32)), k=self.top_k)
            present = mask_positions >= 0
            return {"mask_positions": mask_positions,
                    "token_ids": tf.where(present[..., None], token_ids, -1),
                    "tokens": tf.where(present[..., None], tf.gather(vocab, token_ids), ""),
                    "scores": tf.where(present[..., None], scores, 0.0)}

        return fill_mask
