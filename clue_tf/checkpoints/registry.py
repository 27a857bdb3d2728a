"""The known models: their published architectures, formats, where they come from, their layout."""

import difflib
import json
import os
from dataclasses import dataclass, field

from clue_tf.errors import ClueTfError
from clue_tf.families import Family, get_family

REGISTRY_FILE = os.path.join(os.path.dirname(__file__), "registry.json")


@dataclass
class RegistryEntry:
    name: str
    family: Family
    config: object
    description: str
    download: str
    layout: str
    published: dict
    published_formats: list = field(default_factory=list)  # folders.FORMATS names
    load_with: str = ""

    @property
    def num_parameters(self) -> int:
        return self.family.count_parameters(self.config)


def load_registry() -> dict[str, RegistryEntry]:
    with open(REGISTRY_FILE, encoding="utf-8") as f:
        models = json.load(f)["models"]
    entries = {}
    for name, m in models.items():
        family = get_family(m.get("family", "bert"))
        dialect = family.claims_config(m["config"]) or family.config_dialects[0]
        entries[name] = RegistryEntry(
            name=name, family=family, config=family.read_config(m["config"], dialect, name),
            description=m["description"], download=m["download"], layout=m["layout"],
            published=m["published"], published_formats=m.get("published_formats", []),
            load_with=m.get("load_with", ""))
    return entries


def registry_entry(name: str) -> RegistryEntry:
    registry = load_registry()
    if name not in registry:
        close = difflib.get_close_matches(name, registry, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ClueTfError(f"unknown model {name!r} in the registry{hint}")
    return registry[name]
