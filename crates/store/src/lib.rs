//! Repository traits and shared SQL texts for the store backends.
