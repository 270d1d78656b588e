"""Numbered schema migrations, one SQL file per version and backend.

A file is named `NNNN_<what>.<backend>.sql`. Statements are separated
by `;`, so no statement may contain one (not even in a comment).
"""
