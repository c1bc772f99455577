"""What-if: run a changed copy of a case and compare the two pathways.

Each scenario is assessed from a clean working memory (the engine is reset
between cases), so nothing of one scenario reaches another. The results are typed
values (:mod:`spinepath.pathway.difference`), worded only by the renderers.
"""
