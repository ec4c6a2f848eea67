# ---
# title: A jupytext pair
# date: 2024-03-04
# category: Tutorials
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# The text half of a pair; the page comes from the `.ipynb`.

# %%
total = sum(range(10))
print(total)
