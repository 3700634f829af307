"""From a path to chunks of parsed records: which files make a log, reading them in chunks
(typed or line by line), and reading a large log in two processes."""
