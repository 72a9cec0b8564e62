"""Ferry's one top-level package, named after its distribution (``ferry-files``).

Every import inside Ferry goes through this name (``from ferry_files.shared.client
import Client``), so an installed Ferry owns exactly one top-level name: another
distribution that ships a top-level ``shared`` (PyPI has one) can neither
replace Ferry's modules nor be replaced by them.

Installed from the wheel, ``server``, ``shared``, ``gui_client``,
``terminal_client`` and ``assets`` are real subpackages in this folder. In a
checkout they stay the top-level folders people know, beside this one, so here
the package's search path also takes in the checkout's root: ``ferry_files.server``
is then ``./server``. Standard library only (the server runs with ``python3 -S``).
"""

import os

_HERE = os.path.dirname(os.path.abspath(__file__))
if not os.path.isdir(os.path.join(_HERE, "server")):  # a checkout, not a wheel
    __path__.append(os.path.dirname(_HERE))
