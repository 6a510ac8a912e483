"""Social Warehouse."""
