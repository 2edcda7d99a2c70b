"""NumPy/SciPy reference for `npm run perf:metrics` (Debian's python3-numpy and python3-scipy).

usage: metrics.py REAL.npy FAKE.npy REPS

FID as pytorch-fid computes it (np.cov, scipy.linalg.sqrtm of the product, real part), and
precision/recall (k = 3) and density/coverage (k = 5) as the authors' `prdc` package computes them
(k-th neighbour by np.partition with the point itself at index 0), with scipy's cdist for the
distances. "In the ball" as each pair's reference code has it, and gantry by default: precision/recall
distance <= radius (Kynkäänniemi et al.'s code), density/coverage distance < radius (prdc 0.2).
Prints one JSON object: each metric's value and its median time over REPS runs, in ms.
"""
import json
import sys
import time

import numpy as np
import scipy.linalg
from scipy.spatial.distance import cdist


def fid(real, fake):
    mu1, mu2 = fake.mean(axis=0), real.mean(axis=0)
    s1, s2 = np.cov(fake, rowvar=False), np.cov(real, rowvar=False)
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + offset).dot(s2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def knn_radii(x, k):
    d = cdist(x, x)
    return np.partition(d, k, axis=-1)[:, k]


def precision_recall(real, fake, k=3):
    real_r, fake_r = knn_radii(real, k), knn_radii(fake, k)
    d = cdist(real, fake)
    return {
        "precision": float((d <= real_r[:, None]).any(axis=0).mean()),
        "recall": float((d <= fake_r[None, :]).any(axis=1).mean()),
    }


def density_coverage(real, fake, k=5):
    real_r = knn_radii(real, k)
    d = cdist(real, fake)
    return {
        "density": float((1.0 / k) * (d < real_r[:, None]).sum(axis=0).mean()),
        "coverage": float((d.min(axis=1) < real_r).mean()),
    }


def timed(fn, reps):
    times, value = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        value = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return value, float(np.median(times))


def main():
    real = np.load(sys.argv[1]).astype(np.float64)
    fake = np.load(sys.argv[2]).astype(np.float64)
    reps = int(sys.argv[3])
    out = {"numpy": np.__version__, "scipy": scipy.__version__}
    v, ms = timed(lambda: fid(real, fake), reps)
    out["fid"] = {"value": v, "ms": ms}
    v, ms = timed(lambda: precision_recall(real, fake), reps)
    out["pr"] = {"value": v, "ms": ms}
    v, ms = timed(lambda: density_coverage(real, fake), reps)
    out["dc"] = {"value": v, "ms": ms}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
