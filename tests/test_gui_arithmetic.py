"""The arithmetic panel counts epochs as the status bar does, and never prints "-0"."""

from __future__ import annotations

import re

import numpy as np
import pytest

from gui.views.arithmetic import format_update, number
from model.config import TrainConfig
from model.datasets import load_dataset
from model.trainer import Trainer, epoch_count

MINUS_ZERO = re.compile(r"(?<![\w.])-0(?![\w.])")  # "-0" alone; not "-0.5", "-0e" or "x-0"


def text_of(trainer: Trainer) -> str:
    return format_update(trainer.snapshot(), trainer.explain_last_update(), trainer.dataset, tuple(trainer.names),
                         np.arange(len(trainer.names)))


@pytest.mark.parametrize(("value", "shown"), [
    (-0.0, "0"), (0.0, "0"), (-1e-20, "-1e-20"), (1.23456789, "1.2346"), (-2.5, "-2.5"), (123456.7, "1.2346e+05"),
    (np.float64(-0.0), "0"),
])
def test_numbers_have_five_significant_digits_and_no_minus_zero(value, shown):
    assert number(value) == shown


@pytest.mark.parametrize(("epochs", "position", "per_epoch", "shown"), [
    (2001, 1, 2, "2,001 (+1/2)"), (2002, 0, 2, "2,002"), (0, 3, 4, "0 (+3/4)"), (7, 1234, 5000, "7 (+1,234/5,000)"),
])
def test_the_epoch_count_is_completed_epochs_plus_the_open_ones_updates(epochs, position, per_epoch, shown):
    assert epoch_count(epochs, position, per_epoch) == shown


def test_the_heading_counts_completed_epochs_and_the_position_in_the_open_one():
    # XOR in sample mode: 4 updates an epoch, rows in order. After 5 updates: 1 epoch done, 1 update into the next,
    # which used row 1; after 8: 2 epochs done, the last update on row 4.
    trainer = Trainer(TrainConfig(mode="sample"), load_dataset("xor"))
    for _ in range(5):
        trainer.step_update()
    assert text_of(trainer).splitlines()[0] == "Update 5 — epoch 1 (+1/4) — sample row 1 of 4"
    for _ in range(3):
        trainer.step_update()
    assert text_of(trainer).splitlines()[0] == "Update 8 — epoch 2 — sample row 4 of 4"


def test_the_issues_example_reads_update_4003_epoch_2001_plus_1_of_2():
    trainer = Trainer(TrainConfig(mode="sample", lr=0.001), load_dataset("two_points"))  # 2 rows: 2 updates an epoch
    trainer.run(2001)
    trainer.step_update()  # update 2 * 2001 + 1, the first of epoch 2,002
    assert text_of(trainer).splitlines()[0] == "Update 4,003 — epoch 2,001 (+1/2) — sample row 1 of 2"


def test_full_batch_and_minibatch_headings_name_the_samples():
    full = Trainer(TrainConfig(mode="full"), load_dataset("xor"))
    full.step_update()
    assert text_of(full).splitlines()[0] == "Update 1 — epoch 1 — all 4 samples (full batch)"
    batches = Trainer(TrainConfig(mode="minibatch", batch_size=300), load_dataset("product"))  # 1000 rows: 4 batches
    batches.step_update()
    assert text_of(batches).splitlines()[0] == "Update 1 — epoch 0 (+1/4) — a batch of 300 samples"


def test_zero_gradients_and_changes_print_as_0_not_minus_0():
    # XOR's first row is (0, 0): every dL/dW1 = x·dL/dz1 is a zero, signed like dL/dz1, and its change -lr·0 has
    # the other sign, so one of the two columns holds negative zeros.
    trainer = Trainer(TrainConfig(mode="sample", activation="tanh"), load_dataset("xor"))
    record = trainer.step_update()
    w1 = [i for i, name in enumerate(trainer.names) if name.startswith("w1_")]
    zeros = np.concatenate([record.grad[w1], record.delta[w1]])
    assert np.all(zeros == 0) and np.signbit(zeros).any()
    text = text_of(trainer)
    assert not MINUS_ZERO.search(text), MINUS_ZERO.search(text)
    table = text.split("Gradients and changes")[1].splitlines()[2:]
    for row, i in zip(table, w1, strict=False):
        cells = row.split()
        assert cells[0] == trainer.names[i] and cells[2] == "0" and cells[3] == "0"


def test_the_window_shows_the_status_bars_count_in_the_heading(qtbot, window):
    window.apply_preset("notebook_001")  # XOR, one sample an update: 4 an epoch
    for updates in (1, 4, 6):
        while window.drawn_frame() is None or window.drawn_frame().snapshot.updates < updates:
            before = window.drawn_frame().snapshot.updates if window.drawn_frame() else 0
            window.panel.step_sample_button.click()
            qtbot.waitUntil(lambda b=before: window.drawn_frame() is not None
                            and window.drawn_frame().snapshot.updates == b + 1, timeout=10_000)
        status = window.status_labels["epoch"].text()
        heading = window.arithmetic.toPlainText().splitlines()[0]
        assert status == f"epoch {epoch_count(updates // 4, updates % 4, 4)}"
        assert f" — {status} — " in heading, (status, heading)
