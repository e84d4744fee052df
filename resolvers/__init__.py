"""What each field and mutation does: the licence rules, the loaders, the context."""
