"""Explanations of a pathway for clinicians: HOW a verdict was reached, WHY NOT another
option, and a step-by-step walkthrough of the firings.

Everything here is computed from the knowledge base's rule data and the pathway's trace;
nothing re-runs the engine, so an explanation always matches the pathway it explains.
The results are typed values (:mod:`spinepath.pathway.explanation`), worded only by the
renderers.
"""
