"""Rendering for people: text for a terminal, Markdown, and self-contained HTML (and PDF).

The renderers receive typed results that hold values (the pathway, explanations,
what-if differences, all in :mod:`spinepath.pathway`) and word them: ``words`` holds the
vocabulary, ``view`` what every renderer decides the same way (the jinja environment,
verdict order, reference numbers, folded prose, and the contested flag read from the
pathway). Nothing here computes a result, and nothing below imports this package.
"""
