"""The Ferry server: a supervising parent that accepts connections and a pool of
worker processes that serve them.

The path of a request, module by module: ``acceptor`` (parent: accept) →
``worker_handle`` (parent: pass the socket to a worker over SCM_RIGHTS) →
``worker`` (child: event loop, sessions) → ``session`` (one client, the protocol)
→ ``library`` and ``uploads`` (the folder on disk). ``supervisor`` is the
parent's loop that ties acceptor and workers together.
"""
