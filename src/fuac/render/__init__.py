"""Rendering results and rule sets: score sheets (HTML, xlsx), fill-in workbooks, scheme pages."""
