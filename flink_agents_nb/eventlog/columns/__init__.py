"""The frame's columns: parts accumulated chunk by chunk (``_columns``), the frame assembled
in its final order (``_assembly``) with object columns' references moved (``_moved``,
``_object_memory``), and the array helpers every step shares (``_arrays``)."""
