"""Card types that Metaflow extension packages ship: every `metaflow_extensions.<org>.plugins.cards`
found on sys.path, read as Metaflow reads them. A regular package (or one with an `mfextinit_*.py`)
is one card package; a namespace package holds card packages as its subpackages. Each card package
lists its card types in `CARDS`.

A card package that fails to import is skipped, so one broken extension never stops the others or
the task: its card types are simply unknown (the `@card` then reports an unknown type)."""

import functools
import importlib
import importlib.util
import os
import pkgutil
import sys
import traceback

EXTENSIONS_PACKAGE = "metaflow_extensions"
DEBUG_VARIABLE = "METAFLOW_DEBUG_EXTENSIONS"


def _debug(message):
    if os.environ.get(DEBUG_VARIABLE, "").lower() in ("1", "true", "yes"):
        sys.stderr.write("[cards extensions] %s\n" % message)


def _import(name):
    try:
        return importlib.import_module(name)
    except Exception:
        _debug("card package %s could not be imported:\n%s" % (name, traceback.format_exc()))
        return None


def _organizations():
    root = _import(EXTENSIONS_PACKAGE)
    if root is None or not hasattr(root, "__path__"):
        return []
    # Organizations are namespace packages (folders without __init__.py), which pkgutil does not list.
    found = set()
    for folder in list(root.__path__):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found.update(n for n in names if n.isidentifier() and os.path.isdir(os.path.join(folder, n)))
    return sorted(found)


def card_packages():
    """The imported card packages of every extension, in organization order."""
    packages = []
    for org in _organizations():
        name = "%s.%s.plugins.cards" % (EXTENSIONS_PACKAGE, org)
        try:
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            found = None
        if found is None:
            continue
        module = _import(name)
        if module is None:
            continue
        if getattr(module, "__file__", None):
            packages.append(module)
            continue
        for _, sub, is_package in pkgutil.iter_modules(module.__path__, name + "."):
            if is_package:
                imported = _import(sub)
                if imported is not None:
                    packages.append(imported)
    return packages


def cards_of(packages, base_class):
    """The card types the packages list in `CARDS`: subclasses of `base_class` with a `type`, the
    first one of each type kept."""
    found = {}
    for package in packages:
        cards = getattr(package, "CARDS", None)
        if not isinstance(cards, list):
            continue
        for card in cards:
            if not isinstance(card, type) or not issubclass(card, base_class) or not getattr(card, "type", None):
                continue
            found.setdefault(card.type, card)
    return found


@functools.lru_cache(maxsize=1)
def extension_card_types():
    """{type: card class} of every extension's cards; looked for once a process, on first use."""
    from .cards_types import MetaflowCard

    return cards_of(card_packages(), MetaflowCard)
