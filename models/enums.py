"""Python mirrors of the PostgreSQL ENUM types (values in the type's label order)."""
