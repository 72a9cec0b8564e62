"""theme_zoom.py rewrites the pinned sv-ttk's theme scripts: pixel amounts times
the zoom and nothing else, and a script it does not know is refused (the theme
then loads as shipped: test_layout.py covers the zoomed window at 192 dpi)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sv_ttk
from ferry_files.gui_client.theme_zoom import _zoomed

THEMES = Path(sv_ttk.__file__).parent / "theme"


def test_pixel_amounts_double_and_nothing_else_changes():
    original = (THEMES / "light.tcl").read_text()
    zoomed = _zoomed(THEMES, "light", 2)
    assert "-border {6 0}" in original and "-border {12 0}" in zoomed
    assert "-width 26 -sticky w" in original and "-width 52 -sticky w" in zoomed
    assert "-padding {8 2 8 3}" in original and "-padding {16 4 16 6}" in zoomed
    assert "-zoom 2" in zoomed and "[file dirname [info script]]" not in zoomed
    assert zoomed.count("\n") == original.count("\n")
    assert "-expand 1" in zoomed and "-sticky {}" in zoomed  # not amounts of pixels


def test_a_script_it_does_not_know_is_refused(tmp_path):
    (tmp_path / "light.tcl").write_text("ttk::style theme create sun-valley-light -parent clam {}\n")
    with pytest.raises(ValueError):
        _zoomed(tmp_path, "light", 2)
