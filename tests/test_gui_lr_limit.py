"""The learning rate control's mark at the estimated largest stable learning rate, and its warning."""

from __future__ import annotations

import math

import pytest
from PySide6.QtGui import QColor, QPalette

from gui.controls import (
    ABOVE_LIMIT_BASE,
    LIMIT_COLOUR,
    LR_FIELD_TIP,
    LR_SLIDER_TIP,
    ControlPanel,
    LearningRateControl,
)
from model.curvature import trainer_lr_limit
from model.datasets import load_dataset
from model.presets import PRESETS
from model.trainer import Trainer


@pytest.fixture
def panel(qtbot):
    made = ControlPanel()
    qtbot.addWidget(made)
    made.resize(420, 800)  # laid out, not shown: grab() paints it all the same
    made.layout().activate()
    return made


def _base(control: LearningRateControl) -> QColor:
    return control.field.palette().color(QPalette.ColorRole.Base)


def _orange_columns(control: LearningRateControl) -> list[int]:
    """The x of every column of the slider's picture that holds the mark's colour."""
    image = control.slider.grab().toImage()
    mark = QColor(LIMIT_COLOUR)
    return [x for x in range(image.width())
            if any(_near(image.pixelColor(x, y), mark) for y in range(image.height()))]


def _near(colour: QColor, other: QColor) -> bool:
    return max(abs(colour.red() - other.red()), abs(colour.green() - other.green()),
               abs(colour.blue() - other.blue())) < 40


def test_notebook_000_shows_its_limit_just_above_its_rate(panel):
    trainer = Trainer(PRESETS["notebook_000"].config, load_dataset("single_point"))
    trainer.run(1000)
    panel.show_config(trainer.config)
    lr = panel.lr
    lr.set_limit(trainer_lr_limit(trainer))
    assert lr.limit() == pytest.approx(0.01002, rel=1e-3)
    assert not lr.above_limit()
    assert "estimated largest stable learning rate: 0.01002" in lr.slider.toolTip()
    assert "estimated largest stable learning rate: 0.01002" in lr.field.toolTip()
    assert "diverge" not in lr.field.toolTip()


def test_a_rate_above_the_limit_colours_the_field_and_says_so(panel, qtbot):
    lr = panel.lr
    normal = _base(lr)
    lr.set_value(0.1)
    with qtbot.assertNotEmitted(panel.lr_changed):
        lr.set_limit(0.004)
    assert lr.above_limit() and lr.limit() == 0.004
    assert _base(lr) == QColor(ABOVE_LIMIT_BASE)
    assert "0.1 is 25x it: training will likely diverge" in lr.field.toolTip()
    lr.field.setValue(0.003)  # as typing does: the field's own change
    assert not lr.above_limit()
    assert _base(lr) == normal
    lr.slider.setValue(lr.slider.value() + 20)  # a fifth of a decade to the right (100 steps a decade)
    assert lr.value() == pytest.approx(0.00479) and lr.above_limit()
    assert _base(lr) == QColor(ABOVE_LIMIT_BASE)


def test_the_mark_is_where_the_handle_would_be_at_the_limit(panel):
    lr = panel.lr
    lr.set_value(0.001)
    assert _orange_columns(lr) == []
    lr.set_limit(0.01)
    lr.set_value(0.01)  # the handle's own centre at the same value
    slider = lr.slider
    assert slider.mark() == pytest.approx(slider.value())
    handle_centre = _handle_rect(slider).center().x()
    assert abs(slider.mark_x() - handle_centre) <= 1.5
    lr.set_value(1e-5)  # the handle away, the mark drawn alone
    columns = _orange_columns(lr)
    assert columns and min(columns) >= slider.mark_x() - 5 and max(columns) <= slider.mark_x() + 5


def _handle_rect(slider):
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    return slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle,
                                         slider)


@pytest.mark.parametrize(("limit", "shown"), [(None, None), (math.nan, None), (math.inf, math.inf), (20.0, 20.0)])
def test_no_mark_and_no_warning_without_a_limit_on_the_scale(panel, limit, shown):
    lr = panel.lr
    normal = _base(lr)
    lr.set_value(0.1)
    lr.set_limit(0.004)
    lr.set_limit(limit)
    assert lr.limit() == shown
    assert lr.slider.mark() is None and not lr.above_limit()
    assert _base(lr) == normal
    assert lr.slider.toolTip() == LR_SLIDER_TIP
    if shown is None or math.isinf(shown):
        assert lr.field.toolTip() == LR_FIELD_TIP
    else:  # beyond the slider's right end: said, but not marked
        assert "estimated largest stable learning rate: 20" in lr.field.toolTip()
    assert _orange_columns(lr) == []
