"""The reader's fast path: the three common record shapes decoded into typed structs
(``_typed``), their columns built without per-field checks (``_typed_columns``), and a log's
repeated strings learned as literals (``_vocab``). Modules are private."""
