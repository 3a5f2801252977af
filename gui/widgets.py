"""Small widgets the window uses: the message bar above the plots, the settings' scroll area, the guide."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTextBrowser,
    QVBoxLayout,
)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


class MessageBar(QFrame):
    """A message above the plots (errors, divergence, notes) that stays until closed or replaced."""

    STYLES: ClassVar[dict[str, str]] = {
        "error": "background: #fde2e1; border: 1px solid #e0a09c; color: #7a1712;",
        "warning": "background: #fff4d6; border: 1px solid #e8c86a; color: #5c4300;",
        "info": "background: #e3eefc; border: 1px solid #9dbbe6; color: #143d6b;",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedSize(QSize(24, 24))
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.topic = ""  # what the message speaks of ("export", "settings", ...): see clear()
        self.hide()

    def show_message(self, text: str, kind: str = "error", topic: str = "") -> None:
        self.kind, self.topic = kind, topic
        self.setStyleSheet(f"MessageBar {{ {self.STYLES[kind]} border-radius: 4px; }} "
                           f"QLabel {{ border: none; background: transparent; }}")
        self.label.setText(text)
        self.show()

    def clear(self, topic: str) -> None:
        """Hide the message if it is about ``topic``."""
        if self.isVisible() and self.topic == topic:
            self.hide()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class SettingsScroll(QScrollArea):
    """The control panel's scroll area: as tall as the panel when there is room (QScrollArea's own hint stops at
    24 lines), shrinking, and scrolling, when there is not."""

    def sizeHint(self) -> QSize:
        widget = self.widget()
        return widget.sizeHint() if widget is not None else super().sizeHint()


class HelpDialog(QDialog):
    """The guide from resources/help.md, non-modal so the window stays usable beside it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Perceptron Playground: guide")
        help_file = RESOURCES / "help.md"
        browser = QTextBrowser()
        browser.setOpenExternalLinks(False)
        browser.setMarkdown(help_file.read_text(encoding="utf-8") if help_file.exists() else "See README.md.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(browser, 1)
        layout.addWidget(buttons)
        self.resize(640, 620)

