"""Whether a real X window can be opened under Xvfb here, for the tests that open one."""

from __future__ import annotations

import shutil
import sys


def xvfb_missing_reason() -> str | None:
    """Why Xvfb cannot be used here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "Xvfb runs on Linux only"
    if shutil.which("xvfb-run") is None or shutil.which("Xvfb") is None:
        return "Xvfb is not installed (make test installs it: apt-get install xvfb xauth)"
    from gui.app import missing_xcb_packages

    missing = missing_xcb_packages()
    return f"Qt's xcb plugin needs {' '.join(missing)} (make test installs them)" if missing else None
