"""Write the sample saved features of examples/data (run from the repository root).

z1.npy and z2.npy are two "views" of 1,024 samples of 10 classes in 16 dimensions (class centre
plus Gaussian noise, float32) and y.npy their labels: what `extract_features` would save from a
small trained encoder, for `boundcalc measure --features examples/data/z1.npy examples/data/z2.npy
--labels examples/data/y.npy --k 255 -t 0.5`. The samples are in random order, as a shuffled
loader gives them.

lightning_logs/ was written by Lightning's CSVLogger (tests/data/logs/make_fixtures.py).
"""

from pathlib import Path

import numpy as np

#: Samples, classes, feature dimension and noise level of the sample features.
N, C, D, NOISE = 1024, 10, 16, 0.6

if __name__ == "__main__":
    rng = np.random.default_rng(2022)
    here = Path(__file__).parent
    centres = rng.normal(size=(C, D))
    y = rng.integers(0, C, size=N)
    for name in ("z1", "z2"):
        z = centres[y] + NOISE * rng.normal(size=(N, D))
        np.save(here / f"{name}.npy", z.astype(np.float32))
    np.save(here / "y.npy", y.astype(np.int64))
