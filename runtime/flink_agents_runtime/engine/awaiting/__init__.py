"""What an async action awaits: the event loop for awaitable calls, batches of calls, and
per-action timeouts."""
