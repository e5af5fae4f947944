//! Byte-level lexing of text lines, shared by the events (which re-scan labels lazily) and the
//! text dialects: byte classes and searches ([`scan`]), 64-byte structural masks and the label
//! index ([`structural`]), and the format's escaping ([`escape`]).

pub(crate) mod escape;
pub(crate) mod scan;
pub(crate) mod structural;
