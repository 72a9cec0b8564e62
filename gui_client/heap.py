"""Keeping the app's long-lived objects out of Python's full garbage collections.

A 20,000-file batch or a 100,000-file listing leaves some 260,000 objects alive
for minutes, none of them garbage; every full collection walked them all again
(50..215 ms on the Tk thread, seen by the speed bench's timer probe).
``gc.freeze()`` moves everything alive now into the permanent generation, which
collections skip: it costs nothing (a list splice), and objects that die later
are still freed by their reference counts. :func:`thaw` hands them back to the
collector when the app lets go of a batch, so a reference cycle among them is
not kept forever, and pays the one full collection that takes right there, at
the click that let go ("Clear finished"): handed back and left to the
collector's own timing, it came at the next click that starts a batch, 114..157
ms on the Tk thread just as the batch began. What survives is frozen again.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once a big batch is queued or a big listing is shown."""
    gc.freeze()


def thaw() -> None:
    """Call when the app drops many of the objects :func:`settle` froze."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
