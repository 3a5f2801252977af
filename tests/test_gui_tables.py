"""Adding an activation or a loss is one table entry in model/functions.py: its name, formula and tip reach the
controls and the arithmetic panel from there, with nothing to add in gui/."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.controls import ControlPanel
from gui.views.arithmetic import format_update
from model.config import TrainConfig
from model.datasets import load_dataset
from model.functions import ACTIVATIONS, LOSSES, OUTPUTS, Activation
from model.trainer import Trainer

TABLES = {"activation": ACTIVATIONS, "output": OUTPUTS, "loss": LOSSES}


def softsign(z, out):
    np.divide(z, 1.0 + np.abs(z), out=out)


def softsign_der(z, a, out):
    np.divide(1.0, (1.0 + np.abs(z)) ** 2, out=out)


SOFTSIGN = Activation("softsign", softsign, softsign_der, 99, formula="z / (1 + |z|)",
                      der_formula="1 / (1 + |z|)²", tip="A gentler tanh whose tails approach ±1 slowly.")


def combo_items(combo) -> dict[str, str]:
    """What a combo offers: each item's name (its data) and its tooltip."""
    return {combo.itemData(i): combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())}


@pytest.mark.parametrize(("table", "name"), [(t, n) for t, entries in TABLES.items() for n in entries])
def test_every_entry_has_its_name_formulas_and_tip(table, name):
    entry = TABLES[table][name]
    assert entry.name == name
    derivative = entry.grad_formula if table == "loss" else entry.der_formula
    for text in (entry.formula, derivative, entry.tip):
        assert isinstance(text, str) and text.strip()


@pytest.fixture
def panel(qtbot):
    made = ControlPanel()
    qtbot.addWidget(made)
    return made


def test_the_combos_offer_exactly_the_tables_with_their_formulas_and_tips(panel):
    for field, table in TABLES.items():
        items = combo_items(getattr(panel, field))
        assert list(items) == list(table)
        for name, tooltip in items.items():
            entry = table[name]
            derivative = entry.grad_formula if field == "loss" else entry.der_formula
            assert entry.formula in tooltip and derivative in tooltip and entry.tip in tooltip


def test_a_new_activation_is_one_entry(qtbot, monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "softsign", SOFTSIGN)
    panel = ControlPanel()
    qtbot.addWidget(panel)
    items = combo_items(panel.activation)
    assert list(items)[-1] == "softsign"
    assert SOFTSIGN.formula in items["softsign"] and SOFTSIGN.tip in items["softsign"]
    panel.activation.setCurrentIndex(panel.activation.findData("softsign"))
    assert panel.config().activation == "softsign"  # a valid setting

    # The arithmetic panel names the function and writes its formulas (the numbers here come from a tanh run:
    # only the text is checked).
    trainer = Trainer(TrainConfig(activation="tanh", mode="full"), load_dataset("xor"))
    trainer.step_update()
    snapshot = trainer.snapshot()
    relabelled = dataclasses.replace(snapshot, config=snapshot.config.replace(activation="softsign"))
    text = format_update(relabelled, trainer.explain_last_update(), trainer.dataset, tuple(trainer.names),
                         np.arange(len(trainer.names)))
    assert f"f(z) = {SOFTSIGN.formula}" in text and f"f'(z) = {SOFTSIGN.der_formula}" in text
    assert "softsign(z1)" in text


@pytest.mark.parametrize("mode", ["sample", "full"])
@pytest.mark.parametrize(("activation", "output", "loss"),
                         [("relu", "linear", "squared"), ("leaky_relu", "linear", "half_squared"),
                          ("sigmoid", "sigmoid", "squared"), ("tanh", "sigmoid", "bce"),
                          ("linear", "sigmoid", "half_squared")])
def test_the_arithmetic_writes_the_tables_formulas(activation, output, loss, mode):
    config = TrainConfig(activation=activation, output=output, loss=loss, mode=mode, init="xavier")
    trainer = Trainer(config, load_dataset("xor"))
    trainer.step_update()
    text = format_update(trainer.snapshot(), trainer.explain_last_update(), trainer.dataset, tuple(trainer.names),
                         np.arange(len(trainer.names)))
    act, out, lo = ACTIVATIONS[activation], OUTPUTS[output], LOSSES[loss]
    assert f"f(z) = {act.formula}" in text and f"f'(z) = {act.der_formula}" in text
    assert f"g(z) = {out.formula}" in text and f"g'(z) = {out.der_formula}" in text
    assert f"L = {lo.formula}" in text
    if mode == "sample":  # one sample
        assert f"loss = {lo.formula} = " in text and f"dL/dz2 = {lo.grad_formula}\n" in text
    else:  # the four XOR rows
        assert f"mean loss = mean of {lo.formula} = " in text and f"dL/dz2 = ({lo.grad_formula}) / m" in text
