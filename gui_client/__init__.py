"""Ferry's desktop app: a Tk window over the blocking client library.

The modules split into two layers. Logic with no Tk import (testable without a
display): ``formatting``, ``file_kinds``, ``settings``, ``file_list``,
``conflicts``, ``errors_text``, ``transfers`` and ``controller``. Tk views, kept
thin: ``bridge`` (the one way worker threads reach the Tk loop), ``icons``,
``theme``, ``connect_bar``, ``file_view``, ``transfer_view``, ``status_bar``,
``conflict_dialog``, ``os_dialogs`` and ``main_window``, which wires them
together. ``app`` is the entry point used by ``run_gui.py``.
"""
