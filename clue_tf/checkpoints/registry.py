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
    published_formats: list = field(default_factory=list)  # formats.FORMAT_NAMES names
    load_with: str = ""
    heads: tuple = ()  # the heads the published checkpoint carries (CLUE's: none)
    source: dict = field(default_factory=dict)  # {"hf": "ORG/NAME"} or {"url": ..., "sha256": ...}
    aliases: tuple = ()  # other names it goes by (its release's own name)

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
            load_with=m.get("load_with", ""), heads=_published_heads(name, m, family),
            source=m.get("source", {}), aliases=tuple(m.get("aliases", ())))
    return entries


def find_entry(name: str, registry: dict) -> "RegistryEntry | None":
    """The entry called `name` or one of its aliases, case-insensitively; None if none is."""
    wanted = name.lower()
    for entry in registry.values():
        if wanted in (n.lower() for n in (entry.name, *entry.aliases)):
            return entry
    return None


def _published_heads(name: str, values: dict, family: Family) -> tuple:
    """The entry's `heads`, each one its family knows; a missing list is an error, not a guess."""
    if "heads" not in values:
        raise ClueTfError(f"{REGISTRY_FILE}: {name} has no 'heads' (the heads its release carries)")
    unknown = [h for h in values["heads"] if h not in family.heads]
    if unknown:
        raise ClueTfError(f"{REGISTRY_FILE}: {name} lists heads {unknown} that {family.name} models do not have")
    return tuple(values["heads"])


def registry_entry(name: str) -> RegistryEntry:
    registry = load_registry()
    if name not in registry:
        close = difflib.get_close_matches(name, registry, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ClueTfError(f"unknown model {name!r} in the registry{hint}")
    return registry[name]
