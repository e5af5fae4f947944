//! The parse error: what went wrong, and where.
//!
//! Positions are computed on the error path only: the hot loop carries the line number and the
//! byte offset of the line start, the column is derived when an error is built.

use std::fmt;

/// What kind of problem a parse [`Error`] reports.
///
/// The set grows with the dialects; match with a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The line does not follow the grammar (unexpected token, missing `=`, bad quoting, …).
    Syntax,
    /// The sample value is not a number under Go `strconv.ParseFloat` rules.
    InvalidValue,
    /// The timestamp is not valid in the dialect (sign, float, overflow, …).
    InvalidTimestamp,
    /// `# TYPE` names a type the dialect does not know.
    InvalidType,
    /// A label value, quoted name or HELP text is not valid UTF-8.
    InvalidUtf8,
    /// A label name occurs twice in one series.
    DuplicateLabel,
    /// A brace-only series (`{a="b"} 1`) has no quoted metric name.
    MetricNameNotSet,
    /// A series names its metric twice (`foo{"bar"} 1`, `{"a", "b"} 1`).
    MetricNameAlreadySet,
    /// A line exceeds the configured maximum line length.
    LineTooLong,
    /// OpenMetrics: the exposition does not end with `# EOF`.
    MissingEof,
    /// OpenMetrics: data follows the `# EOF` line.
    DataAfterEof,
    /// OpenMetrics: `# UNIT` is not a suffix of the family name, or is not allowed for the type.
    InvalidUnit,
    /// OpenMetrics: a malformed exemplar, or an exemplar where none is allowed.
    InvalidExemplar,
    /// OpenMetrics strict validation: a per-family rule is broken (ordering, histogram
    /// consistency, value constraints, repeated metadata, …).
    Semantic,
    /// Input was fed to a [`ChunkParser`](crate::ChunkParser) after its `finish`; it was
    /// ignored.
    FeedAfterFinish,
    /// A [`ChunkParser`](crate::ChunkParser) iterator was dropped undrained while lines of an
    /// earlier undrained one were still buffered, and keeping both would pass the buffer's bound
    /// (the line limit plus one chunk): those lines were discarded. The same for the protobuf
    /// [`ChunkParser`](crate::protobuf::ChunkParser) (the family limit plus one chunk), where it
    /// ends the body, and from its `finish` when kept families were never handed out.
    Undrained,
    /// Protobuf exposition: malformed wire data (truncated varint, a length beyond its message,
    /// a bad wire type, a singular message field repeated, …).
    Protobuf,
    /// Protobuf exposition: a metric family larger than the configured limit.
    FamilyTooLarge,
    /// Protobuf exposition: an empty or non-UTF-8 metric or label name.
    InvalidName,
    /// Protobuf exposition: a native histogram Prometheus would reject (schema, spans against
    /// bucket counts, negative counts, observation count).
    InvalidHistogram,
    /// A body that mixes the protobuf exposition with text.
    MixedFormat,
    /// A series passes one of the [`LabelLimits`](crate::LabelLimits) set with
    /// [`Settings::label_limits`](crate::Settings::label_limits).
    LabelLimit,
}

/// A parse error with its position.
///
/// `Display` reads `line L, column C: MESSAGE`; the message follows Prometheus' wording where
/// Prometheus has one (for example `expected label name, got ","`). Errors of the protobuf
/// exposition, which has no lines, have line and column 0 and read `byte OFFSET: MESSAGE`.
///
/// ```
/// let err = promtext::parse_str("a{,} 1\n").next().unwrap().unwrap_err();
/// assert_eq!(err.line(), 1);
/// assert_eq!(err.column(), 3);
/// assert_eq!(err.kind(), promtext::ErrorKind::Syntax);
/// assert!(err.to_string().starts_with("line 1, column 3: expected label name"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: String,
    line: u64,
    column: u64,
    offset: u64,
}

impl Error {
    /// Builds an error; `column` is 1-based and counts bytes from the line start.
    pub fn new(
        kind: ErrorKind,
        message: impl Into<String>,
        line: u64,
        column: u64,
        offset: u64,
    ) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            line,
            column,
            offset,
        }))
    }

    /// The kind of problem.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message without the position prefix.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The 1-based line number.
    pub fn line(&self) -> u64 {
        self.0.line
    }

    /// Moves the error `lines` lines down (a block's error, to the body's line numbers).
    #[cfg(feature = "parallel")]
    pub(crate) fn add_lines(&mut self, lines: u64) {
        self.0.line += lines;
    }

    /// The 1-based column, in bytes from the start of the line.
    pub fn column(&self) -> u64 {
        self.0.column
    }

    /// The byte offset of the error from the start of the input.
    pub fn offset(&self) -> u64 {
        self.0.offset
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.line == 0 {
            return write!(f, "byte {}: {}", self.0.offset, self.0.message);
        }
        write!(
            f,
            "line {}, column {}: {}",
            self.0.line, self.0.column, self.0.message
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("line", &self.0.line)
            .field("column", &self.0.column)
            .field("offset", &self.0.offset)
            .field("message", &self.0.message)
            .finish()
    }
}

impl std::error::Error for Error {}

/// An error inside one line, before the line's position is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LineError {
    pub kind: ErrorKind,
    /// 0-based byte index in the line.
    pub col: usize,
    pub message: String,
}

impl LineError {
    pub(crate) fn new(kind: ErrorKind, col: usize, message: impl Into<String>) -> Self {
        LineError {
            kind,
            col,
            message: message.into(),
        }
    }

    pub(crate) fn at(self, line: u64, line_offset: u64) -> Error {
        Error::new(
            self.kind,
            self.message,
            line,
            self.col as u64 + 1,
            line_offset + self.col as u64,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_position() {
        let e = LineError::new(ErrorKind::Syntax, 2, "boom").at(7, 100);
        assert_eq!(e.to_string(), "line 7, column 3: boom");
        assert_eq!(e.offset(), 102);
    }
}
