"""A guided consultation: build a case by answering questions, one at a time.

Only questions whose answer can still change the pathway are asked (red flags
first), "unknown" is always an answer, and ``why`` at any prompt says which
rules wait on the answer. The asking is separate from the deciding:
:class:`Consultation` knows what to ask and what an answer means; the command
line does the talking.
"""
