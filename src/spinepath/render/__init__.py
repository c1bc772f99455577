"""Rendering a pathway (and the knowledge base) for people: text for a terminal, via jinja2."""
