"""spinepath: a cited back-pain treatment pathway, for education and shared decision-making.

Data flows one way: a case file is loaded and validated (:mod:`spinepath.case`),
turned into facts and run through rules compiled from the knowledge base
(:mod:`spinepath.kb`, :mod:`spinepath.engine`), collected into a
:class:`~spinepath.pathway.Pathway`, and rendered (:mod:`spinepath.render`).
"""

__version__ = "0.1.0"
