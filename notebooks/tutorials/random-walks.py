# ---
# title: 'Random Walks from a Coin-Flip Log'
# date: 2024-05-07
# excerpt: 'Eighty recorded coin flips become a random walk. How unusual is it? We compare it with a thousand simulated walks and the square-root law.'
# tags: [probability, simulation, matplotlib]
# author:
#   name: Alex McKenzie
#   picture: '/assets/blog/headshot.jpeg'
# coverImage: '/assets/blog/random-walks/cover.jpg'
# ogImage:
#   url: '/assets/blog/random-walks/cover.jpg'
# depends: [data/steps.csv]
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# A simple random walk starts at zero and moves one step up or down with equal
# probability. We recorded eighty real coin flips in `data/steps.csv` (heads is
# a step up, tails a step down). This tutorial turns them into a walk and asks
# whether anything about it is surprising.
#
# Everything here uses the standard library plus matplotlib.

# %%
# %matplotlib inline
import csv
import math
import random
import statistics

import matplotlib.pyplot as plt

# %% [markdown]
# ## Reading the log
#
# The CSV file sits next to the notebook, so a relative path is enough.

# %%
with open("data/steps.csv", newline="") as f:
    rows = list(csv.DictReader(f))

steps = [int(row["step"]) for row in rows]
heads = sum(1 for row in rows if row["outcome"] == "H")
print(f"{len(steps)} flips: {heads} heads, {len(steps) - heads} tails")


# %% [markdown]
# ## From steps to positions
#
# The position after each flip is the running sum of the steps.


# %%
def walk(increments):
    position, path = 0, [0]
    for step in increments:
        position += step
        path.append(position)
    return path


recorded = walk(steps)
print("final position:", recorded[-1])
print("furthest from zero:", max(abs(p) for p in recorded))
print("time spent above zero:", sum(p > 0 for p in recorded[1:]), "of", len(steps))

# %% [markdown]
# ## A thousand simulated walks
#
# To judge the recorded walk we need a reference: walks of the same length made
# by a seeded pseudo-random generator.

# %%
rng = random.Random(2024)
n = len(steps)
simulated = [walk(rng.choice((-1, 1)) for _ in range(n)) for _ in range(1_000)]
finals = [path[-1] for path in simulated]

share = sum(abs(x) >= abs(recorded[-1]) for x in finals) / len(finals)
print(f"spread of final positions: {statistics.pstdev(finals):.2f} (theory: {math.sqrt(n):.2f})")
print(f"share of simulated walks ending at least as far out: {share:.1%}")

always_positive = sum(all(p > 0 for p in path[1:]) for path in simulated) / len(simulated)
print(f"share of simulated walks that never return to zero: {always_positive:.1%}")

# %% [markdown]
# ## The picture
#
# Grey lines are twenty of the simulated walks, the dashed curves mark plus and
# minus the square root of the number of steps, and the coloured line is the
# recorded walk.

# %%
fig, ax = plt.subplots(figsize=(6, 3.5), dpi=80)
for path in simulated[:20]:
    ax.plot(path, color="0.75", lw=0.7)
bound = [math.sqrt(k) for k in range(n + 1)]
ax.plot(bound, "--", color="#be185d", lw=1)
ax.plot([-b for b in bound], "--", color="#be185d", lw=1)
ax.plot(recorded, color="#4a044e", lw=2, label="recorded coin flips")
ax.set_xlabel("flip")
ax.set_ylabel("position")
ax.set_xlim(0, n)
ax.legend(loc="upper left", fontsize=8, frameon=False)
fig.tight_layout()
plt.show()

# %% [markdown]
# The final position is unremarkable: it sits a little outside the square-root
# curve, which marks one standard deviation, and plenty of simulated walks end
# further out. What looks odd is that the recorded walk never comes back to
# zero. Only a few percent of the simulated walks do that, so it is a mild
# surprise, though the arcsine law warns that long one-sided stretches are far
# more common than intuition suggests.
#
# For how to attach an error bar to a statistic like the final position, see
# [bootstrap confidence intervals](../statistics/bootstrap-confidence-intervals.md).
