"""The reference numbers of actlab's statistics (src/harness/statistics.cpp), from scipy.stats.

    python3 tests/stats/scipy_cases.py --write tests/stats/scipy_cases.json   # make the file
    python3 tests/stats/scipy_cases.py --check tests/stats/scipy_cases.json   # ctest: scipy agrees

The [statistics] Catch2 test checks actlab against the same file, so actlab equals scipy through
it. Exit 77 (a visible CTest skip) where scipy is missing.
"""
import json
import math
import sys

try:
    from scipy import stats
except ImportError:
    print("SKIPPED: scipy is missing (apt-get install python3-scipy)")
    sys.exit(77)

# Fixed data sets: run-like values (training-error areas, epochs to a target), one with unequal
# spreads, one with very different sizes, small and large effects.
GROUPS = [
    ([2.61, 2.75, 2.58], [2.80, 2.99, 2.71]),
    ([12.25, 14.5, 11.75, 13.0, 12.5], [5.25, 6.0, 5.5, 6.75, 5.0]),
    ([0.312, 0.298, 0.335, 0.301, 0.322, 0.317, 0.309, 0.296, 0.330, 0.305],
     [0.351, 0.362, 0.340, 0.371, 0.349, 0.366, 0.358, 0.344, 0.369, 0.353]),
    ([1.0, 1.4, 0.7], [1.1, 1.02, 0.95, 1.05, 1.2, 0.9]),  # no ties: exact U
]
TABLES = [(8, 10, 0, 10), (3, 5, 1, 5), (0, 10, 0, 10), (10, 12, 2, 12), (1, 3, 2, 3)]
RATES = [(0, 5), (3, 5), (5, 5), (7, 10), (1, 23)]


def t_interval(estimate, se, df, level):
    q = stats.t.ppf(0.5 + level / 2, df)
    return [estimate - q * se, estimate + q * se]


def welch_case(a, b, null):
    test = stats.ttest_ind(a, [x + null for x in b], equal_var=False)
    greater = stats.ttest_ind(a, [x + null for x in b], equal_var=False, alternative="greater")
    va, vb = stats.tvar(a) / len(a), stats.tvar(b) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    estimate = sum(a) / len(a) - sum(b) / len(b)
    return {"kind": "welch", "a": a, "b": b, "null": null, "p": float(test.pvalue),
            "p_greater": float(greater.pvalue), "df": df,
            "ci95": t_interval(estimate, math.sqrt(va + vb), df, 0.95),
            "ci90": t_interval(estimate, math.sqrt(va + vb), df, 0.90)}


def paired_case(a, b, null):
    shifted = [x + null for x in b]
    test = stats.ttest_rel(a, shifted)
    greater = stats.ttest_rel(a, shifted, alternative="greater")
    d = [x - y for x, y in zip(a, b)]
    ci = test.confidence_interval(0.95)  # of mean(a - b - null)
    return {"kind": "paired", "differences": d, "null": null, "p": float(test.pvalue),
            "p_greater": float(greater.pvalue),
            "ci95": [float(ci.low) + null, float(ci.high) + null]}


def cases():
    out = []
    for a, b in GROUPS:
        for null in (0.0, -0.1, 0.5):
            out.append(welch_case(a, b, null))
        logs = ([math.log(x) for x in a], [math.log(x) for x in b])
        out.append(welch_case(*logs, math.log(1.05)))
        if len(a) == len(b):
            out.append(paired_case(a, b, 0.0))
            out.append(paired_case(*logs, math.log(2.0)))
    for k_a, n_a, k_b, n_b in TABLES:
        table = [[k_a, n_a - k_a], [k_b, n_b - k_b]]
        case = {"kind": "fisher", "table": [k_a, n_a, k_b, n_b]}
        for alternative in ("two-sided", "greater", "less"):
            case[alternative] = float(stats.fisher_exact(table, alternative=alternative)[1])
        out.append(case)
    for k, n in RATES:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        out.append({"kind": "clopper_pearson", "k": k, "n": n, "ci95": [ci.low, ci.high]})
    for a, b in GROUPS:
        greater = stats.mannwhitneyu(a, b, alternative="greater", method="exact")
        less = stats.mannwhitneyu(a, b, alternative="less", method="exact")
        out.append({"kind": "mann_whitney", "a": a, "b": b, "p_greater": float(greater.pvalue),
                    "p_less": float(less.pvalue)})
    return out


def close(x, y):
    if isinstance(x, list):
        return len(x) == len(y) and all(close(u, v) for u, v in zip(x, y))
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return abs(x - y) <= 1e-9 * max(1.0, abs(x))
    return x == y


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "--write":
        with open(path, "w") as f:
            json.dump({"scipy": __import__("scipy").__version__, "cases": cases()}, f, indent=1)
            f.write("\n")
        return 0
    with open(path) as f:
        stored = json.load(f)["cases"]
    fresh = cases()
    bad = [i for i, (s, c) in enumerate(zip(stored, fresh)) if not all(
        close(s[k], c[k]) for k in c)]
    if len(stored) != len(fresh) or bad:
        print(f"{path}: cases {bad} differ from scipy {__import__('scipy').__version__}")
        return 1
    print(f"{len(fresh)} cases equal scipy {__import__('scipy').__version__}'s to 1e-9")
    return 0


if __name__ == "__main__":
    sys.exit(main())
