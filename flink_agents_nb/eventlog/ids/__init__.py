"""A log's ids as integer codes: which columns are ids and matching by code (``_ids``),
numbering them while reading, in each process (``_numbering``, ``_column_rows``), short
strings' exact keys read from their memory (``_strkeys``) and what a worker sends of its ids
(``_worker_ids``). Modules are private."""
