"""The names the library accepts: preset priors and bound methods.

Kept free of numpy so that the command line can list them in its help without loading the
numerics (``boundcalc --help`` starts as fast as Python and typer do).
"""

__all__ = ["UNIFORM_PRESETS", "COUNT_PRESETS", "PRESETS", "METHODS", "FORMS"]

#: Uniform presets: name -> number of classes (Nozawa & Sato, Table 3).
UNIFORM_PRESETS = {"binary": 2, "ag_news": 4, "cifar10": 10, "cifar100": 100, "wiki3029": 3029}
#: Presets from per-class training counts shipped in ``boundcalc/data``.
COUNT_PRESETS = {
    "imagenet1k": "imagenet1k_train_counts.json",
    "imagenet_lt": "imagenet_lt_train_counts.json",
    "places_lt": "places_lt_train_counts.json",
}
PRESETS = tuple(UNIFORM_PRESETS) + tuple(COUNT_PRESETS)

#: The four published bounds, in the order of publication.
METHODS = ("arora", "nozawa-sato", "ash", "bao")
#: The papers' own arithmetic, for reproducing their figures (by name only; not in "all"):
#: Nozawa & Sato's comparison form of Arora et al., and their notebook's form of Eq. 10.
FORMS = ("arora-ns", "nozawa-sato-uns")
