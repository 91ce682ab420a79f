"""Class priors: constructors, file formats, presets, validation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import boundcalc as bc
from boundcalc import Prior, as_prior


def test_uniform_and_int():
    p = as_prior(1000)
    assert p.n_classes == 1000 and p.is_uniform and p.max_probability == pytest.approx(1e-3)
    assert as_prior(10**9).n_classes == 10**9  # no per-class array is built


def test_presets():
    for name, c in [("binary", 2), ("ag_news", 4), ("cifar10", 10), ("cifar100", 100), ("wiki3029", 3029)]:
        assert as_prior(name).n_classes == c
    im = as_prior("imagenet1k")
    assert im.n_classes == 1000 and im.total == 1281167 and im.is_counts
    assert im.masses.min() == 732 and im.masses.max() == 1300
    assert as_prior("imagenet_lt").total == 115846 and as_prior("places_lt").n_classes == 365
    with pytest.raises(ValueError, match="known presets: binary"):
        as_prior("imagenet2k")


def test_counts_and_weights():
    p = as_prior([3, 1, 1])
    assert p.is_counts and p.n_classes == 3 and p.total == 5
    w = as_prior([0.5, 0.25, 0.25])
    assert not w.is_counts
    assert np.allclose(np.sort(w.probabilities), [0.25, 0.5])
    assert bc.coverage_probability(10, [0.5, 0.25, 0.25]) == pytest.approx(bc.coverage_probability(10, [2, 1, 1]), rel=1e-14)


def test_zero_counts_dropped_with_warning():
    with pytest.warns(UserWarning, match="dropped 2 class"):
        p = as_prior([3, 0, 1, 0])
    assert p.n_classes == 2


@pytest.mark.parametrize(
    "bad,exc,msg",
    [
        ([1, -2], ValueError, "non-negative"),
        ([1, float("nan")], ValueError, "finite"),
        ([1, float("inf")], ValueError, "finite"),
        ([0, 0], ValueError, "all entries are zero"),
        ([], ValueError, "no classes"),
        (0, ValueError, "at least 1"),
        (-3, ValueError, "at least 1"),
        (True, TypeError, "bool"),
        (2.5, TypeError, "float"),
        ([[1, 2], [3, 4]], ValueError, "one-dimensional"),
        (object(), TypeError, "expected"),
    ],
)
def test_bad_priors(bad, exc, msg):
    with pytest.raises(exc, match=msg):
        as_prior(bad)


def test_files(tmp_path):
    counts = {"a": 5, "b": 3, "c": 2}
    (tmp_path / "c.json").write_text(json.dumps(counts))
    (tmp_path / "l.json").write_text(json.dumps([5, 3, 2]))
    (tmp_path / "c.csv").write_text("class,count\na,5\nb,3\nc,2\n")
    (tmp_path / "c.tsv").write_text("a\t5\nb\t3\nc\t2\n")
    (tmp_path / "c.txt").write_text("5\n3\n2\n")
    np.save(tmp_path / "c.npy", np.array([5, 3, 2]))
    for f in ["c.json", "l.json", "c.csv", "c.tsv", "c.txt", "c.npy"]:
        p = Prior.from_file(tmp_path / f)
        assert p.n_classes == 3 and p.total == 10, f
    assert Prior.from_file(tmp_path / "c.json").class_names == ("a", "b", "c")
    (tmp_path / "labels.txt").write_text("cat\ndog\ncat\nbird\ncat\n")
    p = Prior.from_file(tmp_path / "labels.txt", labels=True)
    assert sorted(p.per_class().tolist()) == [1, 1, 3]
    np.save(tmp_path / "y.npy", np.array([0, 1, 1, 2, 2, 2]))
    assert Prior.from_file(tmp_path / "y.npy", labels=True).total == 6
    (tmp_path / "y.csv").write_text("path,label\nx1,3\nx2,3\nx3,1\n")
    assert sorted(Prior.from_file(tmp_path / "y.csv", labels=True).per_class().tolist()) == [1, 2]


def test_bad_files(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        Prior.from_file(tmp_path / "missing.csv")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(ValueError, match="empty"):
        Prior.from_file(tmp_path / "e.csv")
    (tmp_path / "m.json").write_text('{"a": 1,')
    with pytest.raises(ValueError, match="malformed JSON at line 1"):
        Prior.from_file(tmp_path / "m.json")
    (tmp_path / "x.txt").write_text("5\nfoo\n2\n")
    with pytest.raises(ValueError, match="line 2"):
        Prior.from_file(tmp_path / "x.txt")


def test_rational_weights_stay_exact():
    """Fractions are scaled by their common denominator to exact integer masses (a weight prior,
    not a pool): the dominant class's complement 1 − ρ = 10^−12 is exact, not 1 − fl(ρ)."""
    from fractions import Fraction

    tiny = Fraction(1, 10**12)
    p = Prior.from_counts([1 - tiny, tiny])
    assert not p.is_counts
    assert p.log_complements[np.argmax(p.masses)] == pytest.approx(math.log(1e-12), rel=1e-15)
    assert bc.log_collision_complement(5, [1 - tiny, tiny]) == pytest.approx(
        math.log((1 - 1e-12) * 1e-12**5 + 1e-12 * (1 - 1e-12) ** 5), rel=1e-13)
    assert Prior.from_counts([Fraction(1, 3)] * 3).is_uniform
