"""Reading a JSON config into a dataclass: known fields, their types, the rest kept aside."""

import dataclasses

from clue_tf.errors import ConfigError


def split_fields(cls, values: dict, source: str, skip: tuple = ("extra",)) -> tuple[dict, dict]:
    """(fields of dataclass `cls` found in `values`, every other key); a field of the wrong
    type ("hidden_size": "128") is a ConfigError naming the file and field."""
    types = {f.name: f.type for f in dataclasses.fields(cls) if f.name not in skip}
    known = {k: v for k, v in values.items() if k in types}
    for name, value in known.items():
        wanted = types[name]
        if wanted is bool:
            ok = isinstance(value, bool)
        elif wanted is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif wanted is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ConfigError(f"{source}: {name} is {value!r}, expected {wanted.__name__}")
    return known, {k: v for k, v in values.items() if k not in types}


def arguments_from(config, table: dict) -> dict:
    """Constructor arguments from a config, by a table {argument: config field}."""
    return {argument: getattr(config, field) for argument, field in table.items()}


def fields_from(arguments: dict, table: dict) -> dict:
    """Config fields from constructor arguments (or a saved Keras config), by the same table."""
    return {field: arguments[argument] for argument, field in table.items() if argument in arguments}
