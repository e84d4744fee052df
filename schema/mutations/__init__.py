"""One module per mutation: its input, its payload and its resolver."""
