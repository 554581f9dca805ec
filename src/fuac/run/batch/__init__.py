"""Scoring many units at once: :func:`evaluate_many`, :func:`evaluate_chunks`, :func:`evaluate_partition`.

Records come as an iterable of mappings, a column mapping (name → array), a pandas
or polars DataFrame, or a path (``.csv``, ``.jsonl``/``.ndjson``, ``.xlsx``,
``.parquet``). They are read in chunks of ``chunk_size`` rows, validated column by
column, and scored by the compiled backend (``run/vector.py``) or, row by row, by the
single-unit evaluator (``backend="python"``), which is the oracle of the other.

A flat record (one row) holds, by column name:

- an indicator's value (an empty cell / None / NaN in pandas is a missing value);
- ``<reference>.source``: where a reference value (regional average) comes from;
- ``assessments.<key>``: an assessor's entry for an item or part (``5`` or ``32.a``),
  with ``assessments.<key>.rationale`` and ``assessments.<key>.assessor`` beside it;
- context: the columns named in ``context_columns`` (default ``id``, ``code``,
  ``name``, ``parent``) and every ``context.<name>`` column;
- anything else is an unknown field, reported as a warning, as by :func:`fuac.evaluate`.

A record may also be structured like the input file of ``fuac evaluate``:
``{"data": {…}, "context": {…}, "assessments": {…}}``.

Row ``i`` of the result is what :func:`fuac.evaluate` gives for ``record(i)``
(``results.evaluation(i)`` computes exactly that, lazily).
"""
