"""Finding the encoder inside a model with heads (one place for serving and fine-tuning)."""

from typing import Optional


def find_encoder(model, required: bool = True) -> Optional[object]:
    """The keras-hub Backbone inside `model` (or `model` itself); without one, a ValueError,
    or None when not `required`."""
    import keras_hub

    if isinstance(model, keras_hub.models.Backbone):
        return model
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras_hub.models.Backbone):
            return layer
    if required:
        raise ValueError(f"{model.name}: no encoder inside")
    return None
