//! Relabeling.
