//! Lines → events, one module per exposition dialect: the Prometheus text format
//! ([`prometheus`]), OpenMetrics 1.0 ([`openmetrics`]), the protobuf exposition ([`protobuf`]),
//! and the content negotiation that picks one ([`content_type`]).

pub mod content_type;
pub(crate) mod limits;
pub mod nhcb;
pub(crate) mod openmetrics;
pub mod openmetrics2;
pub(crate) mod prometheus;
pub mod protobuf;
