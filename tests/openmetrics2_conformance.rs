//! Our OpenMetrics 2.0 (rc0) conformance table, built from the spec's ABNF and rules (there is
//! no official 2.0 suite yet): good and bad cases per rule, each with the expected events or
//! the expected error, under the default (Prometheus) level and under strict validation. Every
//! case is also run through `ReadParser` and through `ChunkParser` cut at every byte, which
//! must give the same events. The four sample bodies of Prometheus' experimental parser parse
//! with the expected counts.

mod common;

use promtext::{ChunkParser, ErrorKind, Event, ReadParser, Settings, Validation};

/// What a case must give.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// These events (the closing `# EOF` left out), and nothing else.
    Ok(&'static [&'static str]),
    /// An error of this kind whose message contains this text.
    Err(ErrorKind, &'static str),
    /// Under strict validation: as under the default level.
    Same,
}

use Want::{Err as E, Ok as O, Same};

struct Case {
    rule: &'static str,
    body: &'static str,
    default: Want,
    strict: Want,
}

const fn c(rule: &'static str, body: &'static str, default: Want, strict: Want) -> Case {
    Case {
        rule,
        body,
        default,
        strict,
    }
}

use ErrorKind::{
    DataAfterEof, DuplicateLabel, InvalidHistogram, InvalidTimestamp, InvalidType, InvalidUnit,
    InvalidValue, MetricNameAlreadySet, MetricNameNotSet, MissingEof, Semantic, Syntax,
};

/// The table. Bodies are given whole (with their `# EOF`).
#[rustfmt::skip]
const CASES: &[Case] = &[
    // --- Metadata (TYPE, HELP, UNIT; quoted names).
    c("simple_counter", "# TYPE a_total counter\na_total 1\n# EOF\n", O(&["T a_total counter", "a_total 1"]), Same),
    c("simple_gauge", "# TYPE a gauge\na{b=\"c\"} 1.5\n# EOF\n", O(&["T a gauge", "a{b=c} 1.5"]), Same),
    c("help", "# HELP a Some text.\n# EOF\n", O(&["H a \"Some text.\""]), Same),
    c("help_escaping", "# HELP a x\\n\\\"y\\\\\n# EOF\n", O(&["H a \"x\\n\\\"y\\\\\""]), Same),
    c("empty_help", "# HELP a \n# EOF\n", O(&["H a \"\""]), Same),
    c("unit", "# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1\n# EOF\n", O(&["T a_seconds gauge", "U a_seconds seconds", "a_seconds 1"]), Same),
    c("unit_not_suffix_is_a_should", "# UNIT a_total seconds\n# EOF\n", O(&["U a_total seconds"]), Same),
    c("empty_unit", "# UNIT a \n# EOF\n", O(&["U a "]), Same),
    c("bad_unit_chars", "# UNIT a b.c\n# EOF\n", E(InvalidUnit, "invalid unit \"b.c\""), Same),
    c("bad_unit_on_info", "# TYPE a_info info\n# UNIT a_info x\n# EOF\n", O(&["T a_info info", "U a_info x"]), E(InvalidUnit, "info family has no unit")),
    c("bad_unit_on_stateset", "# UNIT a x\n# TYPE a stateset\n# EOF\n", O(&["U a x", "T a stateset"]), E(InvalidUnit, "stateset family has no unit")),
    c("bad_type", "# TYPE a foo\n# EOF\n", E(InvalidType, "invalid metric type \"foo\""), Same),
    c("bad_type_untyped", "# TYPE a untyped\n# EOF\n", E(InvalidType, "invalid metric type"), Same),
    c("bad_type_case", "# TYPE a Counter\n# EOF\n", E(InvalidType, "invalid metric type"), Same),
    c("bad_metadata_keyword", "# HELPX a b\n# EOF\n", E(Syntax, "expected # HELP, # TYPE, # UNIT or # EOF"), Same),
    c("bad_comment", "# a comment\n# EOF\n", E(Syntax, "OpenMetrics allows no other comment"), Same),
    c("bad_metadata_no_text", "# TYPE a\n# EOF\n", E(Syntax, "expected text in TYPE"), Same),
    c("bad_metadata_no_name", "# TYPE  gauge\n# EOF\n", E(Syntax, "expected metric name after TYPE"), Same),
    c("metadata_quoted_name", "# TYPE \"a.b\" gauge\n# HELP \"a.b\" x\n{\"a.b\"} 1\n# EOF\n", O(&["T a.b gauge", "H a.b \"x\"", "a.b 1"]), Same),
    c("bad_metadata_empty_quoted_name", "# TYPE \"\" gauge\n# EOF\n", E(Syntax, "expected metric name after TYPE"), Same),
    c("repeated_metadata", "# TYPE a gauge\n# TYPE a gauge\na 1\n# EOF\n", O(&["T a gauge", "T a gauge", "a 1"]), E(Semantic, "TYPE for family \"a\" repeated")),
    c("metadata_after_samples", "# TYPE a gauge\na 1\n# HELP a x\n# EOF\n", O(&["T a gauge", "a 1", "H a \"x\""]), E(Semantic, "HELP for family \"a\" after its samples")),
    c("interleaved_families", "a 1\nb 1\na 2\n# EOF\n", O(&["a 1", "b 1", "a 2"]), E(Semantic, "family \"a\" is interleaved")),
    c("metadata_order_is_a_should", "# HELP a x\n# TYPE a gauge\na 1\n# EOF\n", O(&["H a \"x\"", "T a gauge", "a 1"]), Same),
    c("no_metadata", "a 1\nb_total 2\n# EOF\n", O(&["a 1", "b_total 2"]), Same),
    // --- The family rules: a sample's name is its family's name.
    c("name_equals_family", "# TYPE a histogram\na_bucket{le=\"1\"} 1\n# EOF\n", O(&["T a histogram", "a_bucket{le=1} 1"]), Same),
    c("bad_number_in_histogram", "# TYPE a histogram\na 1\n# EOF\n", E(Syntax, "a histogram sample needs a composite value"), Same),
    c("bad_number_in_summary", "# TYPE a summary\na 1\n# EOF\n", E(Syntax, "a summary sample needs a composite value"), Same),
    c("bad_composite_in_counter", "# TYPE a_total counter\na_total {count:1,sum:1,bucket:[+Inf:1]}\n# EOF\n", E( Syntax, "a histogram composite value in a family of type counter", ), Same),
    c("bad_composite_in_gauge", "# TYPE a gauge\na {count:1,sum:1,quantile:[]}\n# EOF\n", E( Syntax, "a summary composite value in a family of type gauge", ), Same),
    c("bad_gaugehistogram_in_histogram", "# TYPE a histogram\na {gcount:1,gsum:1,bucket:[+Inf:1]}\n# EOF\n", E( Syntax, "a gaugehistogram composite value in a family of type histogram", ), Same),
    c("bad_summary_in_histogram", "# TYPE a histogram\na {count:1,sum:1,quantile:[0.5:1]}\n# EOF\n", E( Syntax, "a summary composite value in a family of type histogram", ), Same),
    c("composite_in_unknown", "a {count:1,sum:2,bucket:[+Inf:1]}\n# EOF\n", O(&[ "a_count 1 (unknown)", "a_sum 2 (unknown)", "a_bucket{le=+Inf} 1 (unknown)", ]), Same),
    // --- EOF, line endings.
    c("no_eof", "a 1\n", E(MissingEof, "data does not end with # EOF"), Same),
    c("text_after_eof", "# EOF\na 1\n", E(DataAfterEof, "unexpected data after # EOF"), Same),
    c("no_newline_after_eof", "a 1\n# EOF", O(&["a 1"]), Same),
    c("bad_eof_trailing", "# EOF x\n", E(DataAfterEof, "unexpected data after # EOF"), Same),
    c("bad_blank_line", "a 1\n\n# EOF\n", E(Syntax, "expected a valid start token"), Same),
    c("bad_carriage_return", "a 1\r\n# EOF\n", E(Syntax, "carriage return at the end of the line"), Same),
    c("carriage_return_in_help_text", "# HELP a x\ry\n# EOF\n", O(&["H a \"x\\ry\""]), Same),
    c("carriage_return_in_label_value", "a{b=\"x\ry\"} 1\n# EOF\n", O(&["a{b=x\ry} 1"]), Same),
    c("bad_leading_space", " a 1\n# EOF\n", E(Syntax, "expected a valid start token"), Same),
    // --- Labels.
    c("labels", "a{b=\"c\",d=\"e\"} 1\n# EOF\n", O(&["a{b=c,d=e} 1"]), Same),
    c("label_escaping", "a{b=\"x\\\"y\\\\z\\n\"} 1\n# EOF\n", O(&["a{b=x\"y\\z\n} 1"]), Same),
    c("empty_label_value", "a{b=\"\"} 1\n# EOF\n", O(&["a{b=} 1"]), Same),
    c("empty_brackets", "a{} 1\n# EOF\n", O(&["a 1"]), Same),
    c("quoted_label_name", "a{\"b.c\"=\"d\"} 1\n# EOF\n", O(&["a{b.c=d} 1"]), Same),
    c("labels_with_curly_braces", "a{b=\"{}\"} 1\n# EOF\n", O(&["a{b={}} 1"]), Same),
    c("hash_in_label_value", "a{b=\"# {x}\"} 1\n# EOF\n", O(&["a{b=# {x}} 1"]), Same),
    c("null_byte_in_label_value", "a{b=\"\0\"} 1\n# EOF\n", O(&["a{b=\0} 1"]), Same),
    c("name_in_braces", "{\"a.b\",c=\"d\"} 1\n# EOF\n", O(&["a.b{c=d} 1"]), Same),
    c("name_in_braces_not_first", "{c=\"d\",\"a.b\"} 1\n# EOF\n", O(&["a.b{c=d} 1"]), E(Semantic, "quoted metric name must come first")),
    c("bad_missing_equal", "a{b} 1\n# EOF\n", E(Syntax, "expected equal"), Same),
    c("bad_missing_quotes", "a{b=c} 1\n# EOF\n", E(Syntax, "expected label value"), Same),
    c("bad_double_comma", "a{b=\"c\",,d=\"e\"} 1\n# EOF\n", E(Syntax, "expected label name"), Same),
    c("trailing_comma", "a{b=\"c\",} 1\n# EOF\n", O(&["a{b=c} 1"]), E(Syntax, "trailing comma")),
    c("duplicate_label", "a{b=\"c\",b=\"d\"} 1\n# EOF\n", O(&["a{b=c,b=d} 1"]), E(DuplicateLabel, "label name \"b\" is not unique")),
    c("bad_name_not_set", "{c=\"d\"} 1\n# EOF\n", E(MetricNameNotSet, "metric name not set"), Same),
    c("bad_name_twice", "{\"a\",\"b\"} 1\n# EOF\n", E(MetricNameAlreadySet, "metric name already set"), Same),
    c("bad_metric_name", "0a 1\n# EOF\n", E(Syntax, "expected a valid start token"), Same),
    c("bad_unclosed_labels", "a{b=\"c\" 1\n# EOF\n", E(Syntax, "expected comma or brace close"), Same),
    // --- Values.
    c("float_value", "a 1.5e3\n# EOF\n", O(&["a 1.5e3"]), Same),
    c("leading_zeros", "a 007\nb 00.5\n# EOF\n", O(&["a 007", "b 00.5"]), Same),
    c("nan_and_infinities", "a NaN\nb +Inf\nc -Inf\nd infinity\n# EOF\n", O(&["a NaN", "b +Inf", "c -Inf", "d infinity"]), Same),
    c("uppercase_exponent", "a 1E3\n# EOF\n", O(&["a 1E3"]), Same),
    c("bad_value", "a abc\n# EOF\n", E(InvalidValue, "abc"), Same),
    c("bad_missing_value", "a\n# EOF\n", E(Syntax, "expected value after metric"), Same),
    c("bad_missing_value_after_space", "a \n# EOF\n", E(Syntax, "expected value after metric"), Same),
    c("bad_hex_float_value", "a 0x1p-2\n# EOF\n", E(InvalidValue, "unsupported character in float"), Same),
    c("counter_values", "# TYPE a_total counter\na_total -1\n# EOF\n", O(&["T a_total counter", "a_total -1"]), E(Semantic, "counter value must not be NaN or negative")),
    c("counter_nan", "# TYPE a_total counter\na_total NaN\n# EOF\n", O(&["T a_total counter", "a_total NaN"]), E(Semantic, "counter value must not be NaN")),
    c("info_value", "# TYPE a_info info\na_info{v=\"1\"} 2\n# EOF\n", O(&["T a_info info", "a_info{v=1} 2"]), E(Semantic, "info value must be 1")),
    c("stateset_value", "# TYPE a stateset\na{a=\"x\"} 0.5\n# EOF\n", O(&["T a stateset", "a{a=x} 0.5"]), E(Semantic, "stateset value must be 0 or 1")),
    c("stateset", "# TYPE a stateset\na{a=\"x\"} 1\na{a=\"y\"} 0\n# EOF\n", O(&["T a stateset", "a{a=x} 1", "a{a=y} 0"]), Same),
    // --- Timestamps.
    c("float_timestamp", "a 1 1520879607.789\n# EOF\n", O(&["a 1 @1520879607789"]), Same),
    c("int_timestamp", "a 1 2\n# EOF\n", O(&["a 1 @2000"]), Same),
    c("negative_timestamp", "a 1 -1.5\n# EOF\n", O(&["a 1 @-1500"]), Same),
    c("exponent_timestamp", "a 1 1.5e3\n# EOF\n", O(&["a 1 @1500000"]), Same),
    c("bad_hex_timestamp", "a 1 0x1p3\n# EOF\n", E(InvalidTimestamp, "unsupported character in float"), Same),
    c("bad_timestamp", "a 1 abc\n# EOF\n", E(InvalidTimestamp, "abc"), Same),
    c("bad_timestamp_nan", "a 1 NaN\n# EOF\n", E(InvalidTimestamp, "invalid timestamp NaN"), Same),
    c("bad_two_timestamps", "a 1 2 3\n# EOF\n", E( Syntax, "expected start timestamp or exemplar after timestamp", ), Same),
    c("bad_trailing_space", "a 1 \n# EOF\n", E(Syntax, "expected start timestamp or exemplar"), Same),
    // --- Start timestamps.
    c("start_timestamp", "a_total 1 st@2.5\n# EOF\n", O(&["a_total 1 st@2500"]), Same),
    c("timestamp_and_start", "a_total 1 3 st@2\n# EOF\n", O(&["a_total 1 @3000 st@2000"]), Same),
    c("bad_start_before_timestamp", "a_total 1 st@2 3\n# EOF\n", E(Syntax, "expected exemplar after start timestamp"), Same),
    c("bad_start_value", "a_total 1 st@x\n# EOF\n", E(InvalidTimestamp, "x"), Same),
    c("bad_two_starts", "a_total 1 st@1 st@2\n# EOF\n", E(Syntax, "more than one start timestamp"), Same),
    c("bad_start_uppercase", "a_total 1 ST@1\n# EOF\n", E(InvalidTimestamp, "ST@1"), Same),
    c("start_on_gaugehistogram", "# TYPE a gaugehistogram\na {gcount:1,gsum:1,bucket:[+Inf:1]} st@1\n# EOF\n", O(&[ "T a gaugehistogram", "a_count 1 st@1000", "a_sum 1 st@1000", "a_bucket{le=+Inf} 1 st@1000", ]), E(Semantic, "gauge histogram has no start timestamp")),
    // --- Exemplars: mandatory timestamps, several per sample, malformed ones dropped.
    c("counter_exemplar", "a_total 1 # {t=\"x\"} 2 3\n# EOF\n", O(&["a_total 1 ex[{t=\"x\"} 2 3]"]), Same),
    c("several_exemplars", "a_total 1 5 st@1 # {t=\"x\"} 2 3 # {t=\"y\"} 4.5 5.5\n# EOF\n", O(&["a_total 1 @5000 st@1000 ex[{t=\"x\"} 2 3][{t=\"y\"} 4.5 5.5]"]), Same),
    c("exemplar_empty_labels", "a_total 1 # {} 2 3\n# EOF\n", O(&["a_total 1 ex[{} 2 3]"]), Same),
    c("exemplar_hash_in_label_value", "a_total 1 # {t=\"# {x} 1 2\"} 2 3\n# EOF\n", O(&["a_total 1 ex[{t=\"# {x} 1 2\"} 2 3]"]), Same),
    c("exemplar_without_timestamp_dropped", "a_total 1 # {t=\"x\"} 2\n# EOF\n", O(&["a_total 1", "dropped 1"]), Same),
    c("exemplar_bad_value_dropped", "a_total 1 # {t=\"x\"} abc 3 # {t=\"y\"} 2 3\n# EOF\n", O(&["a_total 1 ex[{t=\"y\"} 2 3]", "dropped 1"]), Same),
    c("exemplar_nan_timestamp_dropped", "a_total 1 # {t=\"y\"} 2 3 # {t=\"x\"} 2 NaN\n# EOF\n", O(&["a_total 1 ex[{t=\"y\"} 2 3]", "dropped 1"]), Same),
    c("exemplar_bad_labels_dropped", "a_total 1 # {t=x} 2 3\n# EOF\n", O(&["a_total 1", "dropped 1"]), Same),
    c("exemplar_no_braces_dropped", "a_total 1 # x\n# EOF\n", O(&["a_total 1", "dropped 1"]), Same),
    c("exemplar_extra_token_dropped", "a_total 1 # {} 2 3 4\n# EOF\n", O(&["a_total 1", "dropped 1"]), Same),
    c("bad_junk_after_start", "a_total 1 st@1 x\n# EOF\n", E(Syntax, "expected exemplar after start timestamp"), Same),
    c("bad_hash_without_space", "a_total 1 #{} 2 3\n# EOF\n", E(InvalidTimestamp, "#{}"), Same),
    c("histogram_exemplars", "# TYPE a histogram\na {count:3,sum:2,bucket:[0.1:1,1:2,+Inf:3]} # {t=\"x\"} 0.05 1 # {t=\"y\"} 0.5 1 # {t=\"z\"} 7 1\n# EOF\n", O(&[ "T a histogram", "a_count 3", "a_sum 2", "a_bucket{le=0.1} 1 ex[{t=\"x\"} 0.05 1]", "a_bucket{le=1.0} 2 ex[{t=\"y\"} 0.5 1]", "a_bucket{le=+Inf} 3 ex[{t=\"z\"} 7 1]", ]), Same),
    // --- Summaries.
    c("summary", "# TYPE a summary\na{b=\"c\"} {count:17,sum:324.5,quantile:[0.5:1,0.99:2.5]} 7 st@1\n# EOF\n", O(&[ "T a summary", "a_count{b=c} 17 @7000 st@1000", "a_sum{b=c} 324.5 @7000 st@1000", "a{b=c,quantile=0.5} 1 @7000 st@1000", "a{b=c,quantile=0.99} 2.5 @7000 st@1000", ]), Same),
    c("summary_no_quantiles", "# TYPE a summary\na {count:17,sum:3,quantile:[]}\n# EOF\n", O(&["T a summary", "a_count 17", "a_sum 3"]), Same),
    c("summary_quantile_normalised", "# TYPE a summary\na {count:1,sum:1,quantile:[1:2]}\n# EOF\n", O(&["T a summary", "a_count 1", "a_sum 1", "a{quantile=1.0} 2"]), Same),
    c("summary_quantiles_unsorted", "# TYPE a summary\na {count:1,sum:1,quantile:[0.9:1,0.5:1]}\n# EOF\n", O(&[ "T a summary", "a_count 1", "a_sum 1", "a{quantile=0.9} 1", "a{quantile=0.5} 1", ]), E(Semantic, "sorted in increasing order")),
    c("summary_quantile_above_one", "# TYPE a summary\na {count:1,sum:1,quantile:[1.5:1]}\n# EOF\n", O(&["T a summary", "a_count 1", "a_sum 1", "a{quantile=1.5} 1"]), E(Semantic, "quantile must be between 0 and 1")),
    c("summary_negative_count", "# TYPE a summary\na {count:-1,sum:1,quantile:[]}\n# EOF\n", O(&["T a summary", "a_count -1", "a_sum 1"]), E(Semantic, "count must not be NaN or negative")),
    c("summary_quantile_label", "# TYPE a summary\na{quantile=\"x\"} {count:1,sum:1,quantile:[]}\n# EOF\n", O(&[ "T a summary", "a_count{quantile=x} 1", "a_sum{quantile=x} 1", ]), E(Semantic, "has no \"quantile\" label")),
    c("bad_summary_gauge_fields", "# TYPE a summary\na {gcount:1,gsum:1,quantile:[]}\n# EOF\n", E(Syntax, "gauge histogram has no quantiles"), Same),
    // --- Classic histograms and gauge histograms.
    c("histogram", "# TYPE a histogram\na{b=\"c\"} {count:17,sum:324.5,bucket:[0.0:0,1e-05:0,1:10,1e3:15,+Inf:17]} st@1.5\n# EOF\n", O(&[ "T a histogram", "a_count{b=c} 17 st@1500", "a_sum{b=c} 324.5 st@1500", "a_bucket{b=c,le=0.0} 0 st@1500", "a_bucket{b=c,le=1e-05} 0 st@1500", "a_bucket{b=c,le=1.0} 10 st@1500", "a_bucket{b=c,le=1000.0} 15 st@1500", "a_bucket{b=c,le=+Inf} 17 st@1500", ]), Same),
    c("histogram_only_inf", "# TYPE a histogram\na {count:0,sum:0,bucket:[+Inf:0]}\n# EOF\n", O(&[ "T a histogram", "a_count 0", "a_sum 0", "a_bucket{le=+Inf} 0", ]), Same),
    c("histogram_negative_inf_bucket", "# TYPE a histogram\na {count:2,sum:0,bucket:[-Inf:1,+Inf:2]}\n# EOF\n", O(&[ "T a histogram", "a_count 2", "a_sum 0", "a_bucket{le=-Inf} 1", "a_bucket{le=+Inf} 2", ]), Same),
    c("bad_histogram_no_inf", "# TYPE a histogram\na {count:1,sum:1,bucket:[1:1]}\n# EOF\n", E(Syntax, "classic buckets need a +Inf bucket"), Same),
    c("bad_histogram_empty_buckets", "# TYPE a histogram\na {count:1,sum:1,bucket:[]}\n# EOF\n", E(Syntax, "expected \"threshold:value\""), Same),
    c("histogram_unsorted", "# TYPE a histogram\na {count:2,sum:1,bucket:[+Inf:2,1:1]}\n# EOF\n", O(&[ "T a histogram", "a_count 2", "a_sum 1", "a_bucket{le=+Inf} 2", "a_bucket{le=1.0} 1", ]), E(Semantic, "sorted in increasing order")),
    c("histogram_not_cumulative", "# TYPE a histogram\na {count:2,sum:1,bucket:[1:3,+Inf:2]}\n# EOF\n", O(&[ "T a histogram", "a_count 2", "a_sum 1", "a_bucket{le=1.0} 3", "a_bucket{le=+Inf} 2", ]), E(Semantic, "must be cumulative")),
    c("histogram_inf_not_count", "# TYPE a histogram\na {count:3,sum:1,bucket:[+Inf:2]}\n# EOF\n", O(&[ "T a histogram", "a_count 3", "a_sum 1", "a_bucket{le=+Inf} 2", ]), E(Semantic, "+Inf bucket must equal the count")),
    c("histogram_negative_bucket", "# TYPE a histogram\na {count:0,sum:0,bucket:[1:-1,+Inf:0]}\n# EOF\n", O(&[ "T a histogram", "a_count 0", "a_sum 0", "a_bucket{le=1.0} -1", "a_bucket{le=+Inf} 0", ]), E(Semantic, "bucket count must not be NaN or negative")),
    c("histogram_nan_count", "# TYPE a histogram\na {count:NaN,sum:0,bucket:[+Inf:0]}\n# EOF\n", O(&[ "T a histogram", "a_count NaN", "a_sum 0", "a_bucket{le=+Inf} 0", ]), E(Semantic, "count must not be NaN or negative")),
    c("histogram_le_label", "# TYPE a histogram\na{le=\"1\"} {count:0,sum:0,bucket:[+Inf:0]}\n# EOF\n", O(&[ "T a histogram", "a_count{le=1} 0", "a_sum{le=1} 0", "a_bucket{le=1,le=+Inf} 0", ]), E(Semantic, "has no \"le\" label")),
    c("bad_histogram_nan_threshold", "# TYPE a histogram\na {count:0,sum:0,bucket:[NaN:0,+Inf:0]}\n# EOF\n", E(Syntax, "threshold must not be NaN"), Same),
    c("bad_histogram_bad_count", "# TYPE a histogram\na {count:x,sum:0,bucket:[+Inf:0]}\n# EOF\n", E(InvalidValue, "x"), Same),
    c("gaugehistogram", "# TYPE a gaugehistogram\na {gcount:42,gsum:3289.3,bucket:[0.01:20,1:34,+Inf:42]}\n# EOF\n", O(&[ "T a gaugehistogram", "a_count 42", "a_sum 3289.3", "a_bucket{le=0.01} 20", "a_bucket{le=1.0} 34", "a_bucket{le=+Inf} 42", ]), Same),
    c("gaugehistogram_negative", "# TYPE a gaugehistogram\na {gcount:-1,gsum:-2,bucket:[+Inf:-1]}\n# EOF\n", O(&[ "T a gaugehistogram", "a_count -1", "a_sum -2", "a_bucket{le=+Inf} -1", ]), E(Semantic, "bucket count must not be NaN or negative")),
    c("bad_gaugehistogram_mixed_fields", "# TYPE a gaugehistogram\na {gcount:1,sum:1,bucket:[+Inf:1]}\n# EOF\n", E(Syntax, "expected \"gsum:\""), Same),
    // --- Composite value syntax.
    c("bad_composite_space", "# TYPE a histogram\na {count: 1,sum:1,bucket:[+Inf:1]}\n# EOF\n", E(InvalidValue, " 1"), Same),
    c("bad_composite_missing_sum", "# TYPE a histogram\na {count:1,bucket:[+Inf:1]}\n# EOF\n", E(Syntax, "expected \"sum:\""), Same),
    c("bad_composite_field_order", "# TYPE a histogram\na {sum:1,count:1,bucket:[+Inf:1]}\n# EOF\n", E(Syntax, "expected \"count:\""), Same),
    c("bad_composite_unknown_field", "# TYPE a histogram\na {count:1,sum:1,buckets:[+Inf:1]}\n# EOF\n", E(Syntax, "expected \"bucket:[\" or \"schema:\""), Same),
    c("bad_composite_unclosed", "# TYPE a histogram\na {count:1,sum:1,bucket:[+Inf:1]\n# EOF\n", E(Syntax, "composite value not closed"), Same),
    c("bad_composite_list_unclosed", "# TYPE a histogram\na {count:1,sum:1,bucket:[+Inf:1}\n# EOF\n", E(Syntax, "list not closed"), Same),
    c("bad_composite_trailing", "# TYPE a histogram\na {count:1,sum:1,bucket:[+Inf:1]}x\n# EOF\n", E(Syntax, "expected a space after the composite value"), Same),
    c("bad_composite_extra_field", "# TYPE a histogram\na {count:1,sum:1,bucket:[+Inf:1],x:1}\n# EOF\n", E(Syntax, "unexpected text at the end of the composite value"), Same),
    c("composite_timestamps_exemplar", "# TYPE a histogram\na {count:1,sum:1,bucket:[+Inf:1]} 2 st@1 # {} 0.5 1.5\n# EOF\n", O(&[ "T a histogram", "a_count 1 @2000 st@1000", "a_sum 1 @2000 st@1000", "a_bucket{le=+Inf} 1 @2000 st@1000 ex[{} 0.5 1.5]", ]), Same),
    // --- Native buckets: one native-histogram event, the protobuf reader's.
    c("native_histogram", "# TYPE a histogram\na {count:59,sum:120,schema:7,zero_threshold:1e-4,zero_count:0,negative_spans:[1:2],negative_buckets:[5,7],positive_spans:[-1:2,3:4],positive_buckets:[5,7,10,9,8,8]}\n# EOF\n", O(&[ "T a histogram", "NH a count=59 sum=120 schema=7 zt=0.0001 zc=0 int +[-1:5,0:7,4:10,5:9,6:8,7:8] -[1:5,2:7]", ]), Same),
    c("native_no_buckets", "# TYPE a histogram\na {count:0,sum:0,schema:3,zero_threshold:1e-4,zero_count:0}\n# EOF\n", O(&[ "T a histogram", "NH a count=0 sum=0 schema=3 zt=0.0001 zc=0 int +[] -[]", ]), Same),
    c("native_float", "# TYPE a histogram\na {count:5.5,sum:12.1,schema:0,zero_threshold:0.001,zero_count:2.5,positive_spans:[0:2],positive_buckets:[2.0,1.0]}\n# EOF\n", O(&[ "T a histogram", "NH a count=5.5 sum=12.1 schema=0 zt=0.001 zc=2.5 float +[0:2,1:1] -[]", ]), Same),
    c("native_and_classic", "# TYPE a histogram\na {count:2,sum:1.2e2,schema:0,zero_threshold:1e-4,zero_count:0,positive_spans:[1:2],positive_buckets:[1,1],bucket:[0.5:1,1:2,+Inf:2]}\n# EOF\n", O(&[ "T a histogram", "NH a count=2 sum=120 schema=0 zt=0.0001 zc=0 int +[1:1,2:1] -[]", ]), Same),
    c("native_gaugehistogram", "# TYPE a gaugehistogram\na {gcount:6,gsum:100.0,schema:0,zero_threshold:0.001,zero_count:1,positive_spans:[0:2],positive_buckets:[3,2]}\n# EOF\n", O(&[ "T a gaugehistogram", "NH a gauge count=6 sum=100 schema=0 zt=0.001 zc=1 int +[0:3,1:2] -[]", ]), Same),
    c("native_labels_timestamps_exemplars", "# TYPE a histogram\na{b=\"c\"} {count:17,sum:3,schema:0,zero_threshold:1e-4,zero_count:0,positive_spans:[0:2],positive_buckets:[5,12]} 9 st@1.5 # {t=\"x\"} 0.67 2.25 # {} 1.2 3\n# EOF\n", O(&[ "T a histogram", "NH a{b=c} count=17 sum=3 schema=0 zt=0.0001 zc=0 int +[0:5,1:12] -[] @9000 st@1500 ex[{t=x} 0.67 Some(2250)][{} 1.2 Some(3000)]", ]), Same),
    c("native_in_unknown_family", "a {count:1,sum:1,schema:-4,zero_threshold:0,zero_count:1}\n# EOF\n", O(&["NH a count=1 sum=1 schema=-4 zt=0 zc=1 int +[] -[]"]), Same),
    c("bad_native_schema", "# TYPE a histogram\na {count:0,sum:0,schema:9,zero_threshold:0,zero_count:0}\n# EOF\n", E(InvalidHistogram, "schema 9 is out of range"), Same),
    c("bad_native_schema_float", "# TYPE a histogram\na {count:0,sum:0,schema:1.0,zero_threshold:0,zero_count:0}\n# EOF\n", E(Syntax, "schema must be an integer"), Same),
    c("bad_native_spans_mismatch", "# TYPE a histogram\na {count:1,sum:0,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:2],positive_buckets:[1]}\n# EOF\n", E(InvalidHistogram, "spans need 2 buckets but 1 are given"), Same),
    c("bad_native_spans_without_buckets", "# TYPE a histogram\na {count:1,sum:0,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1]}\n# EOF\n", E(Syntax, "expected \"positive_buckets:[\" after the spans"), Same),
    c("bad_native_negative_later_offset", "# TYPE a histogram\na {count:2,sum:0,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1,-1:1],positive_buckets:[1,1]}\n# EOF\n", E(Syntax, "only the first span may have a negative offset"), Same),
    c("bad_native_negative_length", "# TYPE a histogram\na {count:2,sum:0,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:-1],positive_buckets:[]}\n# EOF\n", E(Syntax, "span length must be a non-negative integer"), Same),
    c("bad_native_zero_threshold", "# TYPE a histogram\na {count:0,sum:0,schema:0,zero_threshold:-1,zero_count:0}\n# EOF\n", E(Syntax, "zero_threshold must be a non-negative real number"), Same),
    c("bad_native_zero_threshold_inf", "# TYPE a histogram\na {count:0,sum:0,schema:0,zero_threshold:+Inf,zero_count:0}\n# EOF\n", E(Syntax, "zero_threshold must be a non-negative real number"), Same),
    c("native_negative_bucket", "# TYPE a histogram\na {count:0,sum:0,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1],positive_buckets:[-1]}\n# EOF\n", O(&[ "T a histogram", "NH a count=0 sum=0 schema=0 zt=0 zc=0 int +[0:-1] -[]", ]), E(Semantic, "native bucket count must not be NaN or negative")),
    c("bad_native_positive_before_negative", "# TYPE a histogram\na {count:0,sum:0,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1],positive_buckets:[1],negative_spans:[0:1],negative_buckets:[1]}\n# EOF\n", E(Syntax, "expected \"bucket:[\" or \"schema:\""), Same),
];

/// Renders one event: metadata as `T|H|U name …`; a sample as
/// `name{labels} value [@ts_ms] [st@ms] [ex[{labels} value ts]…] [(unknown)]`, the last for a
/// composite value's series in a family without a type.
/// ` @TS` and ` st@ST` when the series has them.
fn push_times(out: &mut String, ts: Option<i64>, st: Option<i64>) {
    if let Some(ts) = ts {
        out.push_str(&format!(" @{ts}"));
    }
    if let Some(st) = st {
        out.push_str(&format!(" st@{st}"));
    }
}

fn render(ev: &Event<'_>) -> Option<String> {
    Some(match ev {
        Event::Type(t) => format!("T {} {}", t.name, t.metric_type),
        Event::Help(h) => format!("H {} {:?}", h.name, h.text()),
        Event::Unit(u) => format!("U {} {}", u.name, u.unit),
        Event::Eof(_) => return None,
        Event::Histogram(h) => {
            let mut scratch = promtext::openmetrics2::NativeScratch::default();
            let n = h.native(&mut scratch);
            let side = |b: promtext::protobuf::Buckets<'_>| {
                b.map(|b| format!("{}:{}", b.index, b.count))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let labels: Vec<String> = n.labels().map(|(k, v)| format!("{k}={v}")).collect();
            let mut out = format!("NH {}", n.name());
            if !labels.is_empty() {
                out.push_str(&format!("{{{}}}", labels.join(",")));
            }
            if n.is_gauge() {
                out.push_str(" gauge");
            }
            out.push_str(&format!(
                " count={} sum={} schema={} zt={} zc={} {} +[{}] -[{}]",
                n.count(),
                n.sum(),
                n.schema(),
                n.zero_threshold(),
                n.zero_count(),
                if n.is_float() { "float" } else { "int" },
                side(n.positive_buckets()),
                side(n.negative_buckets()),
            ));
            push_times(&mut out, n.timestamp_ms(), n.start_timestamp_ms());
            let ex: Vec<String> = n
                .exemplars()
                .map(|e| {
                    let l: Vec<String> = e.labels().map(|(k, v)| format!("{k}={v}")).collect();
                    format!("[{{{}}} {} {:?}]", l.join(","), e.value(), e.timestamp_ms())
                })
                .collect();
            if !ex.is_empty() {
                out.push_str(&format!(" ex{}", ex.join("")));
            }
            out
        }
        Event::Series(s) => {
            let labels: Vec<String> = s
                .labels()
                .map(|l| format!("{}={}", l.name, l.value))
                .collect();
            let mut out = format!("{}{}", s.family_name(), s.name().suffix);
            if !labels.is_empty() {
                out.push_str(&format!("{{{}}}", labels.join(",")));
            }
            out.push_str(&format!(" {}", s.value_text()));
            push_times(&mut out, s.timestamp_ms(), s.start_timestamp_ms());
            let ex: Vec<String> = s
                .exemplars()
                .map(|e| {
                    format!(
                        "[{{{}}} {} {}]",
                        e.raw_labels(),
                        e.value_text(),
                        e.timestamp_text().unwrap_or("-")
                    )
                })
                .collect();
            if !ex.is_empty() {
                out.push_str(&format!(" ex{}", ex.join("")));
            }
            if s.metric_type() == promtext::MetricType::Unknown
                && s.series() != promtext::protobuf::Series::Value
            {
                out.push_str(" (unknown)");
            }
            out
        }
        other => format!("{other:?}"),
    })
}

type Outcome = Result<Vec<String>, (ErrorKind, String)>;

/// Renders one event into `out`; an error ends the outcome.
fn record(
    out: &mut Vec<String>,
    ev: Result<Event<'_>, promtext::Error>,
) -> Result<(), (ErrorKind, String)> {
    match ev {
        Ok(ev) => {
            out.extend(render(&ev));
            Ok(())
        }
        Err(e) => Err((e.kind(), e.to_string())),
    }
}

/// The outcome: the rendered events, then how many exemplars were dropped (if any).
fn with_dropped(mut out: Vec<String>, dropped: u64) -> Outcome {
    if dropped > 0 {
        out.push(format!("dropped {dropped}"));
    }
    Ok(out)
}

fn whole(body: &[u8], s: &Settings) -> Outcome {
    let mut p = promtext::parse_with(body, s.clone());
    let mut out = Vec::new();
    for ev in p.by_ref() {
        record(&mut out, ev)?;
    }
    with_dropped(out, p.dropped_exemplars())
}

fn read(body: &[u8], s: &Settings) -> Outcome {
    let mut p = ReadParser::new(common::Trickle { data: body, n: 7 }, s.clone());
    let mut out = Vec::new();
    while let Some(ev) = p.next_event() {
        record(&mut out, ev)?;
    }
    with_dropped(out, p.dropped_exemplars())
}

/// Fed in pieces cut at `cuts`; iterators dropped after `take` events each (0: drained), so
/// that a composite line left half handed out must be resumed.
fn chunked(body: &[u8], cuts: &[usize], take: usize, s: &Settings) -> Outcome {
    let mut p = ChunkParser::new(s.clone());
    let mut out = Vec::new();
    let mut prev = 0;
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(body.len())).collect();
    points.sort_unstable();
    points.push(body.len());
    for c in points {
        let chunk = &body[prev..c];
        prev = c;
        if take > 0 {
            let evs: Vec<_> = p
                .feed(chunk)
                .take(take)
                .map(|r| r.map(|e| render(&e)).map_err(|e| (e.kind(), e.to_string())))
                .collect();
            for r in evs {
                out.extend(r?);
            }
        } else {
            for r in p.feed(chunk) {
                record(&mut out, r)?;
            }
        }
    }
    loop {
        let evs: Vec<_> = p
            .feed(b"")
            .map(|r| r.map(|e| render(&e)).map_err(|e| (e.kind(), e.to_string())))
            .collect();
        if evs.is_empty() {
            break;
        }
        for r in evs {
            out.extend(r?);
        }
    }
    for r in p.finish() {
        record(&mut out, r)?;
    }
    with_dropped(out, p.dropped_exemplars())
}

/// Checks one case at one level; the problems found, if any.
fn check(case: &Case, level: Validation, want: Want) -> Vec<String> {
    let s = Settings::openmetrics2().validation(level);
    let body = case.body.as_bytes();
    let got = whole(body, &s);
    let name = format!("{} ({level:?})", case.rule);
    let mut bad = Vec::new();
    match (want, &got) {
        (Want::Ok(events), Ok(evs)) if evs == events => {}
        (Want::Err(kind, text), Err((k, msg))) if *k == kind && msg.contains(text) => {}
        _ => bad.push(format!("{name}: want {want:?}, got {got:?}")),
    }
    if read(body, &s) != got {
        bad.push(format!("{name}: ReadParser differs"));
    }
    for cut in 0..=body.len() {
        if chunked(body, &[cut], 0, &s) != got {
            bad.push(format!("{name}: cut at {cut} differs"));
            break;
        }
    }
    for take in 1..3 {
        let cuts: Vec<usize> = (0..body.len()).step_by(5).collect();
        if chunked(body, &cuts, take, &s) != got {
            bad.push(format!(
                "{name}: take {take} differs: {:?}",
                chunked(body, &cuts, take, &s)
            ));
        }
    }
    bad
}

#[test]
fn conformance_table() {
    let mut rules = std::collections::BTreeSet::new();
    let (mut good, mut bad) = (0, 0);
    let mut problems = Vec::new();
    for case in CASES {
        assert!(rules.insert(case.rule), "rule {} twice", case.rule);
        problems.extend(check(case, Validation::Prometheus, case.default));
        let strict = match case.strict {
            Want::Same => case.default,
            w => w,
        };
        problems.extend(check(case, Validation::Strict, strict));
        for w in [case.default, strict] {
            match w {
                Want::Ok(_) => good += 1,
                _ => bad += 1,
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // At least as many rules as the OpenMetrics 1.0 suite has categories (72).
    assert!(rules.len() >= 72, "{} rules", rules.len());
    eprintln!("{} rules: {good} good and {bad} bad verdicts", rules.len());
}

/// The four bodies Prometheus' experimental parser accepts: samples and series per body.
#[test]
fn prometheus_sample_bodies() {
    let Some(dir) = common::shared("conformance/openmetrics2") else {
        return;
    };
    // Sample events: one per number line and per native histogram line, `_count` + `_sum` +
    // one per classic bucket or quantile per other composite line (counted independently of
    // the parser).
    let want = [
        ("alltypes.om2.txt", 38),
        ("alltypes.bench.om2.txt", 123),
        ("ct.bench.om2.txt", 63),
        ("histograms.bench.om2.txt", 147),
    ];
    for (file, series) in want {
        let body = std::fs::read(dir.join(file)).unwrap();
        for level in [Validation::Prometheus, Validation::Strict] {
            let s = Settings::openmetrics2().validation(level);
            let got = whole(&body, &s).unwrap_or_else(|e| panic!("{file} ({level:?}): {e:?}"));
            let n = got
                .iter()
                .filter(|l| !l.starts_with(['T', 'H', 'U']))
                .count();
            assert_eq!(n, series, "{file} ({level:?})");
            assert_eq!(read(&body, &s), Ok(got.clone()), "{file}");
            let cuts: Vec<usize> = (0..body.len()).step_by(97).collect();
            assert_eq!(chunked(&body, &cuts, 0, &s), Ok(got.clone()), "{file}");
            assert_eq!(chunked(&body, &cuts, 2, &s), Ok(got), "{file}");
        }
    }
}

/// Lines to build random bodies from: every kind of line, good and bad.
const PIECES: &[&str] = &[
    "# TYPE h histogram\n",
    "h{a=\"1\"} {count:3,sum:2,bucket:[0.1:1,1:2,+Inf:3]} 5 st@1 # {t=\"x\"} 0.05 1 # {t=\"y\"} 7 2\n",
    "h {count:17,sum:3,schema:0,zero_threshold:1e-4,zero_count:0,positive_spans:[0:2],positive_buckets:[5,12]} st@1.5 # {} 1.2 3\n",
    "# TYPE s summary\n",
    "s{q=\"\\\"x\\\"\"} {count:4,sum:17,quantile:[0.5:3.5,0.99:7]}\n",
    "s {count:0,sum:0,quantile:[]}\n",
    "# TYPE c_total counter\n# HELP c_total Requests \\\"x\\\".\n",
    "c_total{b=\"y\"} 7 st@1700000000 # {id=\"a\"} 1 1700000001 # bad # {id=\"b\"} 2 1700000002\n",
    "{\"c.d\",\"e.f\"=\"g\"} 1.5e3 12.25\n",
    "g{a=\"\\n\"} NaN\n",
    "# UNIT g_seconds seconds\n",
    "h {count:1,sum:1,bucket:[2:1]}\n",
    "bad line\n",
    "x 1 2 3\n",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

    /// Whole body, reader and chunks cut anywhere (iterators drained or dropped early) give the
    /// same events and errors, fail-fast and lenient.
    #[test]
    fn chunked_forms_agree(
        picks in proptest::collection::vec(0..PIECES.len(), 1..12),
        cuts in proptest::collection::vec(0usize..2000, 0..8),
        take in 0usize..3,
        lenient in proptest::bool::ANY,
        eof in proptest::bool::ANY,
    ) {
        let mut body: String = picks.iter().map(|&i| PIECES[i]).collect();
        if eof {
            body.push_str("# EOF\n");
        }
        let body = body.as_bytes();
        let s = Settings::openmetrics2().lenient(lenient);
        let all = |body: &[u8]| -> Vec<String> {
            promtext::parse_with(body, s.clone())
                .map(|r| match r {
                    Ok(ev) => render(&ev).unwrap_or_default(),
                    Err(e) => e.to_string(),
                })
                .collect()
        };
        let want = all(body);
        let mut p = ReadParser::new(common::Trickle { data: body, n: 13 }, s.clone());
        let mut got = Vec::new();
        while let Some(r) = p.next_event() {
            got.push(match r {
                Ok(ev) => render(&ev).unwrap_or_default(),
                Err(e) => e.to_string(),
            });
        }
        proptest::prop_assert_eq!(&got, &want);
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
        let mut p = ChunkParser::new(s.clone());
        let mut got = Vec::new();
        let mut points = cuts.clone();
        points.sort_unstable();
        points.push(body.len());
        let mut prev = 0;
        let describe = |r: Result<Event<'_>, promtext::Error>| match r {
            Ok(ev) => render(&ev).unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        for c in points {
            let it = p.feed(&body[prev..c]);
            if take == 0 {
                got.extend(it.map(describe));
            } else {
                got.extend(it.take(take).map(describe));
            }
            prev = c;
        }
        loop {
            let more: Vec<String> = p.feed(b"").map(describe).collect();
            if more.is_empty() {
                break;
            }
            got.extend(more);
        }
        got.extend(p.finish().map(describe));
        proptest::prop_assert_eq!(got, want);
    }
}

/// The spec's SHOULDs, one body per lint, and a body that breaks none.
#[test]
fn lints_for_the_shoulds() {
    let cases: &[(&str, &[&str])] = &[
        ("# TYPE rq counter\nrq 1 st@1\n", &["counter-without-total"]),
        ("# TYPE a_count gauge\na_count 1\n", &["discouraged-suffix"]),
        (
            "# TYPE a_bucket gauge\na_bucket 1\n",
            &["discouraged-suffix"],
        ),
        (
            "# TYPE a gauge\n# UNIT a seconds\na 1\n",
            &["unit-not-suffix"],
        ),
        (
            "# TYPE a_seconds_total counter\n# UNIT a_seconds_total seconds\na_seconds_total 1 st@1\n",
            &[],
        ),
        ("# TYPE a gauge\n# HELP a \na 1\n", &["empty-help"]),
        ("# HELP a x\n# TYPE a gauge\na 1\n", &["metadata-order"]),
        (
            "# TYPE a_total counter\na_total 1\n",
            &["no-start-timestamp"],
        ),
        (
            "# TYPE h histogram\nh {count:0,sum:0,bucket:[+Inf:0]}\n",
            &["no-start-timestamp"],
        ),
        (
            "# TYPE h histogram\nh {count:0,sum:0,schema:0,zero_threshold:0,zero_count:0}\n",
            &["no-start-timestamp"],
        ),
        (
            "# TYPE s summary\ns {count:0,sum:0,quantile:[]} st@1\n",
            &[],
        ),
        ("a 1\n", &["no-type"]),
        (
            "# TYPE g gaugehistogram\n# UNIT g_bytes bytes\n# HELP g_bytes x\n",
            &["no-type"],
        ),
    ];
    for (body, want) in cases {
        let body = format!("{body}# EOF\n");
        let got: Vec<&str> = promtext::openmetrics2::lints(body.as_bytes())
            .into_iter()
            .map(|l| l.code)
            .collect();
        assert_eq!(&got, want, "{body}");
    }
}
