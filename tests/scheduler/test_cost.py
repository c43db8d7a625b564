"""The cost model admission control uses: weighted characters and the least-squares fit."""

from __future__ import annotations

import random

import pytest

from clarion.scheduler.cost import (
    CJK_WEIGHT,
    MIN_SEEN,
    CostModel,
    ScaledCost,
    Work,
    hold_pays,
    weighted_chars,
)


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


def test_the_least_cost_allows_for_either_split_until_lengths_differ() -> None:
    model = CostModel()
    # A warm-up sentence of 10 characters: its 0.4 s may be per segment or per character.
    model.observe(Work.of(["Hello there."]), 0.4)
    assert not model.determined
    long_text = Work.of(["x" * 100] * 3)  # three sentences of 100 characters
    assert model.least_seconds(long_text) == pytest.approx(3 * 0.4)  # all per segment
    assert model.seconds(long_text) > 5 * model.least_seconds(long_text)  # the fit's guess
    short_text = Work.of(["Hi.", "OK."])
    assert model.least_seconds(short_text) == pytest.approx(0.4 * 4 / 10)  # all per character
    # Once lengths differ, the fit separates the two, and it is the bound.
    model.observe(Work.of(["x" * 100]), 0.4 + 0.01 * 90)
    assert model.determined
    assert model.least_seconds(long_text) == pytest.approx(model.seconds(long_text))
    assert model.least_seconds(long_text) == pytest.approx(3 * (0.3 + 0.01 * 100), rel=1e-6)


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


def fitted(per_char: float, seen: int = MIN_SEEN) -> ScaledCost:
    """A kind of run that has seen ``seen`` batches costing ``per_char`` a character, over a
    shared model that saw them too."""
    base = CostModel()
    kind = ScaledCost(base)
    for n in range(seen):
        work = Work.of(["x" * (10 + 20 * n)])
        base.observe(work, per_char * work.chars)
        kind.observe(work, per_char * work.chars)
    return kind


def test_a_kind_of_run_learns_its_speed_against_the_shared_fit() -> None:
    base = CostModel()
    alone, beside = ScaledCost(base), ScaledCost(base)
    assert alone.seconds(Work(1, 50)) == 0.0  # nothing known yet
    rng = random.Random(2)
    for _ in range(30):
        work = Work(1, rng.randint(5, 200))
        true = 0.01 + 0.002 * work.chars  # one core each
        if rng.random() < 0.5:
            base.observe(work, true / 1.6)
            alone.observe(work, true / 1.6)  # every core: 1.6x as fast
        else:
            base.observe(work, true)
            beside.observe(work, true)
    assert alone.seen + beside.seen == 30
    short, long = Work(1, 5), Work(1, 200)
    for work in (short, long):
        assert beside.seconds(work) / alone.seconds(work) == pytest.approx(1.6, rel=0.01)
    # Long texts still cost more than short ones, in both kinds.
    assert alone.seconds(long) > 10 * alone.seconds(short)


@pytest.mark.parametrize("seed", range(10))
def test_like_lengths_alone_still_compare_the_kinds_at_other_lengths(seed: int) -> None:
    # Each kind sees only sentences of about one length, with timing noise; fitted on their own,
    # two coefficients from that spread go anywhere (a ratio of 0.08 or 33 at 5 characters for
    # some of these seeds). The shared fit, which the warm-up's short sentence widened, keeps a
    # long text costing more, and the kinds' ratio holds at every length.
    base = CostModel()
    base.observe(Work(1, 8), 0.02)  # the warm-up sentence
    alone, beside = ScaledCost(base), ScaledCost(base)
    rng = random.Random(seed)
    for _ in range(MIN_SEEN):
        for kind, speed in ((alone, 1.6), (beside, 1.0)):
            work = Work(1, rng.randint(95, 105))
            seconds = 0.002 * work.chars / speed * rng.uniform(0.9, 1.1)
            base.observe(work, seconds)
            kind.observe(work, seconds)
    for chars in (5, 300):
        ratio = beside.seconds(Work(1, chars)) / alone.seconds(Work(1, chars))
        assert 1.3 < ratio < 1.9
    assert alone.seconds(Work(1, 300)) > 2 * alone.seconds(Work(1, 100))


def test_a_long_segment_waits_for_a_short_lone_run_to_end() -> None:
    # Every core makes a segment 1.8x as fast as one core: beside the short run, the long one
    # would run on one core for most of its time while the other idles.
    alone, beside = fitted(0.001 / 1.8), fitted(0.001)
    long = Work.of(["x" * 100])  # 0.056 s alone, 0.1 s beside
    assert hold_pays(alone, beside, 0.002, [long], workers=2)
    # Not behind a long lone run: 0.05 s more of it, then 0.056, against 0.1 at once.
    assert not hold_pays(alone, beside, 0.05, [long], workers=2)
    # Two or four of a length spread evenly over two workers: 0.10 s against 0.11 one after
    # another, 0.20 against 0.22...
    assert not hold_pays(alone, beside, 0.002, [long] * 2, workers=2)
    assert not hold_pays(alone, beside, 0.002, [long] * 4, workers=2)
    # ...where three would leave the third on one core while the other idles: 0.17 against 0.20.
    assert hold_pays(alone, beside, 0.002, [long] * 3, workers=2)


def test_nothing_waits_until_both_costs_are_known_or_when_every_core_is_no_faster() -> None:
    long = Work.of(["x" * 100])
    assert not hold_pays(fitted(0.001 / 1.8, MIN_SEEN - 1), fitted(0.001), 0.002, [long], 2)
    assert not hold_pays(fitted(0.001 / 1.8), fitted(0.001, MIN_SEEN - 1), 0.002, [long], 2)
    # An engine without a wider session: waiting only adds the running batch's time.
    assert not hold_pays(fitted(0.001), fitted(0.001), 0.002, [long], 2)
    assert not hold_pays(fitted(0.001 / 1.8), fitted(0.001), 0.002, [long], workers=1)
    assert not hold_pays(fitted(0.001 / 1.8), fitted(0.001), 0.002, [], workers=2)
