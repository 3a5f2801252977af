"""Perceptron Playground.

    python main.py                      open the window
    python main.py --screenshot out.png [--preset NAME] [--epochs N]
    python main.py train [options]      train without a window (python main.py train --help)
    python main.py predict --weights PATH x1 x2 ...
"""

from __future__ import annotations

import sys

COMMANDS = ("train", "predict")
EXIT_BAD_INPUT, EXIT_INTERRUPTED = 2, 130


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS:
        try:
            from model.cli import run_cli

            return run_cli(argv)
        except KeyboardInterrupt:  # Ctrl+C before training began (while loading): nothing to keep
            print("interrupted (Ctrl+C)", file=sys.stderr)
            return EXIT_INTERRUPTED
    if argv and not argv[0].startswith("-"):  # the window takes options only: this was meant as a command
        print(f"main.py: unknown command {argv[0]!r}: the commands are {' and '.join(COMMANDS)} (python main.py "
              "--help shows the window's options)", file=sys.stderr)
        return EXIT_BAD_INPUT
    from gui.app import run_app  # Qt is imported only when the window is wanted

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
