"""Storage: the library folder and everything that reads or writes it.

:class:`Library` is the one way in. Below it, each module is one concept:
``store`` (the open folder and what its parts share), ``folders`` (paths resolved
one name at a time), ``listing`` and ``coalescing`` (the ``list`` answer, read
afresh), ``folder_locks`` (a list pass and a rename exclude each other),
``uploads`` (an upload from first byte to publish, and the sweep of abandoned
ones), ``partials`` (uploads kept for a resume), ``digests`` (an upload's
sha256 on the way), ``commits`` (durable commits in batches), ``splicing``
(socket to file without a copy), ``checksums`` (sha256 of stored files for
``stat``), ``manage``, ``renaming`` and ``trash`` (delete and rename, no-replace
renames, folders removed in the background), ``handback`` (helper threads'
results back to the event loop). docs/architecture.md has the same table.
"""

from .library import Library, OpenFile
from .store import open_root
from .uploads import BodyStream, Upload, remove_uploads_of

__all__ = ["BodyStream", "Library", "OpenFile", "Upload", "open_root", "remove_uploads_of"]
