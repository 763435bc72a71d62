"""Trace payloads -> plotly figures (as JSON strings). No FastAPI here: pure data in, figure out.

Token strings are escaped for plotly's pseudo-HTML so that anything a user typed is
drawn as text, and axes are indexed by position (labels come from `ticktext`) so
that a repeated token never merges two rows.
"""
