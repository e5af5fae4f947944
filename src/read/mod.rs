//! Bytes → lines → events: the front ends over a complete body ([`whole`]), pushed chunks and
//! readers ([`stream`]), and a large body on several cores ([`parallel`]), all driving the one
//! line machinery in [`core`] that dispatches each line to its dialect.

pub(crate) mod core;
#[cfg(feature = "parallel")]
pub mod parallel;
pub(crate) mod stream;
pub(crate) mod whole;
