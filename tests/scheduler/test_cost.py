"""The cost model admission control uses: weighted characters and the least-squares fit."""

from __future__ import annotations

import random

import pytest

from clarion.scheduler.cost import CJK_WEIGHT, CostModel, Work, weighted_chars


def test_weighted_chars_counts_letters_and_weights_cjk() -> None:
    assert weighted_chars("Hi, you!") == 5  # punctuation and spaces are nearly free
    assert weighted_chars("你好。") == 2 * CJK_WEIGHT
    assert weighted_chars("第3章") == 2 * CJK_WEIGHT + 1


def test_work_adds_and_never_goes_negative() -> None:
    a = Work.of(["abc", "你"])
    assert (a.segments, a.chars) == (2, 3 + CJK_WEIGHT)
    assert a + a == Work(4, 2 * a.chars)
    assert Work() - a == Work()


def test_fit_recovers_per_segment_and_per_char_costs() -> None:
    model = CostModel()
    assert not model.ready
    rng = random.Random(1)
    for _ in range(40):
        texts = ["x" * rng.randint(1, 200) for _ in range(rng.randint(1, 4))]
        work = Work.of(texts)
        model.observe(work, 0.05 * work.segments + 0.002 * work.chars)
    assert model.ready
    assert model.per_segment == pytest.approx(0.05, rel=1e-6)
    assert model.per_char == pytest.approx(0.002, rel=1e-6)
    # So a long sentence is predicted to cost more than a short one: what counting segments missed.
    assert model.seconds(Work.of(["x" * 200])) > 5 * model.seconds(Work.of(["x" * 10]))


def test_identical_batches_still_predict_their_own_cost() -> None:
    model = CostModel()
    for _ in range(5):
        model.observe(Work.of(["Hello there."]), 0.3)  # one point repeated: rank 1
    assert model.seconds(Work.of(["Hello there."])) == pytest.approx(0.3)


def test_negative_coefficients_fall_back_to_one_term() -> None:
    model = CostModel()
    # Longer texts happening to run faster (noise): no negative per-char cost.
    model.observe(Work(1, 10), 0.5)
    model.observe(Work(1, 100), 0.4)
    assert model.per_char >= 0 and model.per_segment >= 0
    assert model.seconds(Work(1, 50)) == pytest.approx(0.45)


def test_old_batches_leave_the_window() -> None:
    model = CostModel(window=4)
    for _ in range(4):
        model.observe(Work(1, 10), 1.0)
    for _ in range(4):
        model.observe(Work(1, 10), 0.1)  # the engine got faster (warm caches, less load)
    assert model.seconds(Work(1, 10)) == pytest.approx(0.1)
