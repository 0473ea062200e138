"""SciPy's fallback from the exact to the asymptotic KS p-value when the exact series rounds
outside [0, 1]; the values in `exact_attempt_that_rounds_above_one_falls_back_as_scipy_does`
(src/stats/ks/mod.rs). Made with SciPy 1.17.1:

    python tools/reference/ks_fallback_reference.py
"""

import warnings

import scipy
from scipy.stats import ks_2samp
from scipy.stats._stats_py import _compute_prob_outside_square

a = [1, 8 / 3, 3, 4, 2]
b = [1, 3, 2, 8 / 3, 1]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    res = ks_2samp(a, b, method="exact")
print("scipy", scipy.__version__)
print("series(5, 1) =", repr(_compute_prob_outside_square(5, 1)))
print("statistic =", repr(res.statistic), "pvalue =", repr(res.pvalue))
print("statistic_location =", repr(res.statistic_location))
print("warnings:", [str(w.message) for w in caught])
