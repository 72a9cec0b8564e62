"""Ferry's icons and desktop entry, a package so that they ship inside the wheel
and are found with importlib.resources (``ferry_files.assets``) from a checkout
and from an installed Ferry alike."""
