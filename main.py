"""Perceptron Playground.

    python main.py                      open the window
    python main.py --screenshot out.png [--preset NAME] [--epochs N]
    python main.py train [options]      train without a window (python main.py train --help)
    python main.py predict --weights PATH x1 x2 ...
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("train", "predict"):
        from model.cli import run_cli

        return run_cli(argv)
    from gui.app import run_app  # Qt is imported only when the window is wanted

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
