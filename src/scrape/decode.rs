//! Streaming `Content-Encoding` decoders (gzip, zstd, brotli behind features).

//!
//! Every decoder writes into one fixed output buffer and hands each filled piece on before decoding more, so
//! the decompressed body is never held: a bomb costs the caller's `body_size_limit` in time, not memory. The
//! codecs' own windows are bounded by `body_size_limit` rounded up to a power of two: gzip's is 32 KiB;
//! brotli's ring buffer grows with the output and may never outgrow the limit (a stream that needs more
//! would write more than the body may hold, so it fails as `body size limit exceeded`); zstd refuses a
//! frame whose window exceeds the limit (at least 8 MiB, see [`zstd_window_log`]) before allocating it.

use super::ScrapeError;

/// The decoders' output buffer: decompressed bytes reach the caller in pieces of at most this size.
#[cfg(any(feature = "gzip", feature = "zstd", feature = "brotli"))]
const OUT_BUF: usize = 32 << 10;

/// A `Content-Encoding` the scrape layer can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Encoding {
    /// No encoding (`identity` or absent).
    #[default]
    Identity,
    /// `gzip` (also `x-gzip`), feature `gzip`.
    Gzip,
    /// `zstd`, feature `zstd`.
    Zstd,
    /// `br`, feature `brotli`.
    Brotli,
}

impl Encoding {
    /// Parses a `Content-Encoding` header value (case-insensitive; blank means identity).
    ///
    /// ```
    /// use promtext::scrape::Encoding;
    /// assert_eq!(Encoding::parse("GZIP").unwrap(), Encoding::Gzip);
    /// assert_eq!(Encoding::parse("").unwrap(), Encoding::Identity);
    /// assert!(Encoding::parse("compress").is_err());
    /// ```
    pub fn parse(header: &str) -> Result<Encoding, ScrapeError> {
        let h = header.trim();
        let e = if h.is_empty() || h.eq_ignore_ascii_case("identity") {
            Encoding::Identity
        } else if h.eq_ignore_ascii_case("gzip") || h.eq_ignore_ascii_case("x-gzip") {
            Encoding::Gzip
        } else if h.eq_ignore_ascii_case("zstd") {
            Encoding::Zstd
        } else if h.eq_ignore_ascii_case("br") {
            Encoding::Brotli
        } else {
            return Err(ScrapeError::UnsupportedEncoding(super::clip(h.to_string())));
        };
        if !e.is_supported() {
            return Err(ScrapeError::UnsupportedEncoding(super::clip(h.to_string())));
        }
        Ok(e)
    }

    /// The header token.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Zstd => "zstd",
            Encoding::Brotli => "br",
        }
    }

    /// Whether this build can decode it.
    pub fn is_supported(self) -> bool {
        match self {
            Encoding::Identity => true,
            Encoding::Gzip => cfg!(feature = "gzip"),
            Encoding::Zstd => cfg!(feature = "zstd"),
            Encoding::Brotli => cfg!(feature = "brotli"),
        }
    }
}

/// A push decoder: compressed chunks in, decompressed pieces of at most [`OUT_BUF`] bytes out.
pub(crate) struct Decoder {
    codec: Codec,
    /// Output buffer, allocated on the first compressed chunk.
    #[cfg(any(feature = "gzip", feature = "zstd", feature = "brotli"))]
    out: Vec<u8>,
}

enum Codec {
    Identity,
    #[cfg(feature = "gzip")]
    Gzip(Box<gzip::Gzip>),
    #[cfg(feature = "zstd")]
    Zstd {
        d: Box<zstd::stream::raw::Decoder<'static>>,
        /// Whether the input so far ends at a frame boundary.
        frame_done: bool,
    },
    #[cfg(feature = "brotli")]
    Brotli {
        s: Box<brotli::State>,
        done: bool,
    },
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.encoding().as_str())
    }
}

#[cfg(any(feature = "gzip", feature = "zstd", feature = "brotli"))]
fn err(encoding: Encoding, e: impl std::fmt::Display) -> ScrapeError {
    ScrapeError::Decode {
        encoding: encoding.as_str(),
        message: e.to_string(),
    }
}

/// What a decoding step tells its caller: go on, or stop because the sink said so.
#[cfg(any(feature = "gzip", feature = "zstd", feature = "brotli"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
    /// The codec would need a window larger than `body_size_limit` allows.
    OverLimit,
}

impl Decoder {
    /// A decoder for `encoding`; `body_limit` (0: none) bounds the window it may allocate.
    pub(crate) fn new(encoding: Encoding, body_limit: u64) -> Result<Decoder, ScrapeError> {
        let _ = body_limit;
        let codec = match encoding {
            Encoding::Identity => Codec::Identity,
            #[cfg(feature = "gzip")]
            Encoding::Gzip => Codec::Gzip(Box::default()),
            #[cfg(feature = "zstd")]
            Encoding::Zstd => {
                let mut d = zstd::stream::raw::Decoder::new().map_err(|e| err(encoding, e))?;
                if body_limit > 0 {
                    d.set_parameter(zstd::stream::raw::DParameter::WindowLogMax(
                        zstd_window_log(body_limit),
                    ))
                    .map_err(|e| err(encoding, e))?;
                }
                Codec::Zstd {
                    d: Box::new(d),
                    frame_done: false,
                }
            }
            #[cfg(feature = "brotli")]
            Encoding::Brotli => Codec::Brotli {
                s: brotli::new_state(body_limit),
                done: false,
            },
            #[allow(unreachable_patterns)]
            other => return Err(ScrapeError::UnsupportedEncoding(other.as_str().to_string())),
        };
        Ok(Decoder {
            codec,
            #[cfg(any(feature = "gzip", feature = "zstd", feature = "brotli"))]
            out: Vec::new(),
        })
    }

    /// The identity decoder (no allocation).
    pub(crate) fn identity() -> Decoder {
        Decoder {
            codec: Codec::Identity,
            #[cfg(any(feature = "gzip", feature = "zstd", feature = "brotli"))]
            out: Vec::new(),
        }
    }

    fn encoding(&self) -> Encoding {
        match self.codec {
            Codec::Identity => Encoding::Identity,
            #[cfg(feature = "gzip")]
            Codec::Gzip(_) => Encoding::Gzip,
            #[cfg(feature = "zstd")]
            Codec::Zstd { .. } => Encoding::Zstd,
            #[cfg(feature = "brotli")]
            Codec::Brotli { .. } => Encoding::Brotli,
        }
    }

    /// Decodes `chunk`, calling `sink` with each piece of decompressed output. `sink` returns `false` to stop;
    /// nothing more is decoded from this chunk then.
    // Without any compression feature only the identity arm is left.
    #[allow(irrefutable_let_patterns, unused_mut)]
    pub(crate) fn feed(
        &mut self,
        chunk: &[u8],
        mut sink: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), ScrapeError> {
        if let Codec::Identity = self.codec {
            sink(chunk);
            return Ok(());
        }
        #[cfg(any(feature = "gzip", feature = "zstd", feature = "brotli"))]
        {
            let enc = self.encoding();
            if self.out.len() < OUT_BUF {
                self.out.resize(OUT_BUF, 0);
            }
            let out = &mut self.out[..];
            let r = match &mut self.codec {
                Codec::Identity => Ok(Flow::Go),
                #[cfg(feature = "gzip")]
                Codec::Gzip(g) => g.feed(chunk, out, &mut sink),
                #[cfg(feature = "zstd")]
                Codec::Zstd { d, frame_done } => zstd_feed(d, frame_done, chunk, out, &mut sink),
                #[cfg(feature = "brotli")]
                Codec::Brotli { s, done } => brotli::feed(s, done, chunk, out, &mut sink),
            };
            match r {
                Ok(Flow::OverLimit) => Err(ScrapeError::BodySizeLimit),
                Ok(_) => Ok(()),
                Err(m) => Err(err(enc, m)),
            }
        }
        #[cfg(not(any(feature = "gzip", feature = "zstd", feature = "brotli")))]
        Ok(())
    }

    /// Ends the stream, reporting a truncated or corrupt one. (Output is handed on as it is produced, so there
    /// is none left to flush, and the parser sees the same bytes whether or not an error follows.)
    pub(crate) fn finish(&mut self) -> Result<(), ScrapeError> {
        let message: Option<String> = match &mut self.codec {
            Codec::Identity => None,
            #[cfg(feature = "gzip")]
            Codec::Gzip(g) => g.finish(),
            #[cfg(feature = "zstd")]
            Codec::Zstd { frame_done, .. } => {
                (!*frame_done).then(|| "incomplete frame".to_string())
            }
            #[cfg(feature = "brotli")]
            Codec::Brotli { done, .. } => {
                (!*done).then(|| "unexpected end of the brotli stream".to_string())
            }
        };
        match message {
            None => Ok(()),
            #[cfg(any(feature = "gzip", feature = "zstd", feature = "brotli"))]
            Some(m) => Err(err(self.encoding(), m)),
            #[cfg(not(any(feature = "gzip", feature = "zstd", feature = "brotli")))]
            Some(_) => Ok(()),
        }
    }
}

/// The largest zstd window (log2) accepted under `limit`: a frame can never usefully reference more history
/// than the body may hold, so a larger window is refused before it is allocated. At least 2^23 (8 MiB, what
/// zstd's and Go's streaming encoders declare for input of unknown size at their higher levels: refusing it
/// would refuse ordinary bodies under small limits; zstd allocates it untouched, so only the pages the output
/// reaches become resident), at most zstd's default of 2^27.
#[cfg(feature = "zstd")]
fn zstd_window_log(limit: u64) -> u32 {
    let log = 64 - limit.saturating_sub(1).leading_zeros();
    log.clamp(23, 27)
}

#[cfg(feature = "zstd")]
fn zstd_feed(
    d: &mut zstd::stream::raw::Decoder<'static>,
    frame_done: &mut bool,
    chunk: &[u8],
    out: &mut [u8],
    sink: &mut impl FnMut(&[u8]) -> bool,
) -> Result<Flow, String> {
    use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
    let mut input = InBuffer::around(chunk);
    loop {
        let mut output = OutBuffer::around(&mut *out);
        let before = input.pos();
        let hint = d.run(&mut input, &mut output).map_err(|e| {
            let m = e.to_string();
            if m.contains("too much memory") {
                format!("{m} (its window exceeds what body_size_limit allows)")
            } else {
                m
            }
        })?;
        let n = output.pos();
        // `0` means a frame was just decoded and flushed; a later call that only looks for the next frame
        // returns a hint again without having started one.
        if hint == 0 {
            *frame_done = true;
        } else if input.pos() > before || n > 0 {
            *frame_done = false;
        }
        if n > 0 && !sink(&out[..n]) {
            return Ok(Flow::Stop);
        }
        // A full output buffer may mean more output is pending; otherwise the input is used up.
        if input.pos() == chunk.len() && n < out.len() {
            return Ok(Flow::Go);
        }
    }
}

#[cfg(feature = "brotli")]
mod brotli {
    use brotli_decompressor::{
        Allocator, BrotliDecoderErrorCode, BrotliDecoderParameter, BrotliDecompressStream,
        BrotliResult, BrotliState, StandardAlloc,
    };

    use super::Flow;

    pub(super) type State = BrotliState<Capped, StandardAlloc, StandardAlloc>;

    /// The byte allocator of the decoder: it refuses any cell larger than `cap`. The largest cell is the ring
    /// buffer, a power of two that holds everything decoded so far plus the metablock being decoded (until it
    /// reaches the window), plus a fixed slack; so a stream whose output stays within the body limit never
    /// asks for more than the limit rounded up to a power of two, plus the slack.
    #[derive(Clone, Copy, Debug)]
    pub(super) struct Capped {
        cap: usize,
    }

    /// Bytes the decoder allocates past its ring buffer (write-ahead and dictionary-word slack, 542 in
    /// brotli-decompressor), rounded up.
    const SLACK: usize = 1024;

    impl Allocator<u8> for Capped {
        type AllocatedMemory = <StandardAlloc as Allocator<u8>>::AllocatedMemory;
        fn alloc_cell(&mut self, len: usize) -> Self::AllocatedMemory {
            // A refused cell is empty; the decoder then fails with an allocation error code.
            StandardAlloc::default().alloc_cell(if len > self.cap { 0 } else { len })
        }
        fn free_cell(&mut self, _cell: Self::AllocatedMemory) {}
    }

    /// A decoder state whose allocations stay within `limit` (0: none) rounded up to a power of two.
    pub(super) fn new_state(limit: u64) -> Box<State> {
        let cap = match limit {
            0 => usize::MAX,
            l => usize::try_from(l.checked_next_power_of_two().unwrap_or(u64::MAX))
                .unwrap_or(usize::MAX)
                .saturating_add(SLACK),
        };
        let mut s = Box::new(BrotliState::new(
            Capped { cap },
            StandardAlloc::default(),
            StandardAlloc::default(),
        ));
        // `Content-Encoding: br` is RFC 7932 brotli, whose window is at most 16 MiB; the large-window
        // extension (up to 1 GiB) is not part of it.
        s.set_parameter(BrotliDecoderParameter::BROTLI_DECODER_PARAM_LARGE_WINDOW, 0);
        s
    }

    pub(super) fn feed(
        s: &mut State,
        done: &mut bool,
        chunk: &[u8],
        out: &mut [u8],
        sink: &mut impl FnMut(&[u8]) -> bool,
    ) -> Result<Flow, String> {
        if chunk.is_empty() {
            return Ok(Flow::Go);
        }
        if *done {
            return Err("data after the end of the brotli stream".to_string());
        }
        let mut avail_in = chunk.len();
        let mut in_off = 0;
        loop {
            let mut avail_out = out.len();
            let mut out_off = 0;
            let mut total = 0;
            let r = BrotliDecompressStream(
                &mut avail_in,
                &mut in_off,
                chunk,
                &mut avail_out,
                &mut out_off,
                out,
                &mut total,
                s,
            );
            if out_off > 0 && !sink(&out[..out_off]) {
                return Ok(Flow::Stop);
            }
            match r {
                BrotliResult::NeedsMoreOutput => {}
                BrotliResult::NeedsMoreInput => return Ok(Flow::Go),
                BrotliResult::ResultSuccess => {
                    *done = true;
                    if avail_in > 0 {
                        return Err("data after the end of the brotli stream".to_string());
                    }
                    return Ok(Flow::Go);
                }
                BrotliResult::ResultFailure => {
                    return match s.error_code {
                        BrotliDecoderErrorCode::BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_1
                        | BrotliDecoderErrorCode::BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_2 => {
                            Ok(Flow::OverLimit)
                        }
                        code => Err(format!("corrupt brotli stream ({code:?})")),
                    };
                }
            }
        }
    }
}

#[cfg(feature = "gzip")]
mod gzip {
    //! RFC 1952 members, one after another (as Go's reader reads them), around a raw inflater.

    use flate2::{Crc, Decompress, FlushDecompress, Status};

    use super::Flow;

    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Stage {
        /// The fixed 10-byte header (`got` bytes of it so far).
        Header,
        ExtraLen,
        Extra,
        Name,
        Comment,
        HeaderCrc,
        Body,
        /// CRC-32 and ISIZE (`got` bytes so far).
        Trailer,
    }

    pub(super) struct Gzip {
        inflate: Decompress,
        stage: Stage,
        fixed: [u8; 10],
        got: usize,
        /// Bytes left of FEXTRA (or of a 2-byte field).
        left: usize,
        /// CRC of the header, for FHCRC.
        header_crc: Crc,
        /// CRC and size of the member's output.
        crc: Crc,
        members: u64,
    }

    impl Default for Gzip {
        fn default() -> Self {
            Gzip {
                inflate: Decompress::new(false),
                stage: Stage::Header,
                fixed: [0; 10],
                got: 0,
                left: 0,
                header_crc: Crc::new(),
                crc: Crc::new(),
                members: 0,
            }
        }
    }

    impl Gzip {
        fn flags(&self) -> u8 {
            self.fixed[3]
        }

        /// The stage after the header field `done`.
        fn after(&self, done: Stage) -> Stage {
            let f = self.flags();
            let order = [
                (Stage::ExtraLen, FEXTRA),
                (Stage::Name, FNAME),
                (Stage::Comment, FCOMMENT),
                (Stage::HeaderCrc, FHCRC),
            ];
            let from = match done {
                Stage::Header => 0,
                Stage::Extra => 1,
                Stage::Name => 2,
                Stage::Comment => 3,
                _ => 4,
            };
            order[from..]
                .iter()
                .find(|(_, bit)| f & bit != 0)
                .map_or(Stage::Body, |&(s, _)| s)
        }

        fn enter(&mut self, stage: Stage) {
            self.stage = stage;
            self.got = 0;
            self.left = match stage {
                Stage::ExtraLen | Stage::HeaderCrc => 2,
                _ => 0,
            };
        }

        pub(super) fn feed(
            &mut self,
            mut input: &[u8],
            out: &mut [u8],
            sink: &mut impl FnMut(&[u8]) -> bool,
        ) -> Result<Flow, String> {
            while !input.is_empty() {
                match self.stage {
                    Stage::Header => {
                        let n = (10 - self.got).min(input.len());
                        self.fixed[self.got..self.got + n].copy_from_slice(&input[..n]);
                        self.header_crc.update(&input[..n]);
                        self.got += n;
                        input = &input[n..];
                        // The magic is checked as soon as it is there, so garbage fails at once.
                        if self.got >= 2 && self.fixed[..2] != [0x1f, 0x8b] {
                            return Err(if self.members == 0 {
                                "invalid gzip header".to_string()
                            } else {
                                format!(
                                    "data after gzip member {} is not a gzip member (trailing garbage)",
                                    self.members
                                )
                            });
                        }
                        if self.got == 10 {
                            if self.fixed[2] != 8 {
                                return Err(format!(
                                    "unsupported gzip compression method {}",
                                    self.fixed[2]
                                ));
                            }
                            if self.flags() & 0xe0 != 0 {
                                return Err("invalid gzip header (reserved flags set)".to_string());
                            }
                            let next = self.after(Stage::Header);
                            self.enter(next);
                        }
                    }
                    Stage::ExtraLen => {
                        self.header_crc.update(&input[..1]);
                        self.fixed[self.got] = input[0];
                        self.got += 1;
                        input = &input[1..];
                        if self.got == 2 {
                            let len = u16::from_le_bytes([self.fixed[0], self.fixed[1]]) as usize;
                            self.stage = Stage::Extra;
                            self.left = len;
                        }
                    }
                    Stage::Extra => {
                        let n = self.left.min(input.len());
                        self.header_crc.update(&input[..n]);
                        self.left -= n;
                        input = &input[n..];
                        if self.left == 0 {
                            let next = self.after(Stage::Extra);
                            self.enter(next);
                        }
                    }
                    Stage::Name | Stage::Comment => {
                        let (n, end) = match memchr::memchr(0, input) {
                            Some(p) => (p + 1, true),
                            None => (input.len(), false),
                        };
                        self.header_crc.update(&input[..n]);
                        input = &input[n..];
                        if end {
                            let next = self.after(self.stage);
                            self.enter(next);
                        }
                    }
                    Stage::HeaderCrc => {
                        self.fixed[self.got] = input[0];
                        self.got += 1;
                        input = &input[1..];
                        if self.got == 2 {
                            let want = u16::from_le_bytes([self.fixed[0], self.fixed[1]]);
                            if want != self.header_crc.sum() as u16 {
                                return Err("gzip header checksum mismatch".to_string());
                            }
                            self.enter(Stage::Body);
                        }
                    }
                    Stage::Body => {
                        let (in0, out0) = (self.inflate.total_in(), self.inflate.total_out());
                        let status = self
                            .inflate
                            .decompress(input, out, FlushDecompress::None)
                            .map_err(|e| e.to_string())?;
                        let used = (self.inflate.total_in() - in0) as usize;
                        let made = (self.inflate.total_out() - out0) as usize;
                        input = &input[used..];
                        if made > 0 {
                            self.crc.update(&out[..made]);
                            if !sink(&out[..made]) {
                                return Ok(Flow::Stop);
                            }
                        }
                        match status {
                            Status::StreamEnd => self.enter(Stage::Trailer),
                            _ if used == 0 && made == 0 => {
                                return Err("corrupt deflate stream".to_string());
                            }
                            _ => {}
                        }
                    }
                    Stage::Trailer => {
                        let n = (8 - self.got).min(input.len());
                        self.fixed[self.got..self.got + n].copy_from_slice(&input[..n]);
                        self.got += n;
                        input = &input[n..];
                        if self.got == 8 {
                            self.end_member()?;
                        }
                    }
                }
            }
            // Output the inflater still holds (a full buffer last time) comes out now, not with more input.
            while self.stage == Stage::Body {
                let out0 = self.inflate.total_out();
                let status = self
                    .inflate
                    .decompress(&[], out, FlushDecompress::None)
                    .map_err(|e| e.to_string())?;
                let made = (self.inflate.total_out() - out0) as usize;
                if made > 0 {
                    self.crc.update(&out[..made]);
                    if !sink(&out[..made]) {
                        return Ok(Flow::Stop);
                    }
                }
                if status == Status::StreamEnd {
                    self.enter(Stage::Trailer);
                }
                if made < out.len() {
                    break;
                }
            }
            Ok(Flow::Go)
        }

        fn end_member(&mut self) -> Result<(), String> {
            let f = &self.fixed;
            let crc = u32::from_le_bytes([f[0], f[1], f[2], f[3]]);
            let size = u32::from_le_bytes([f[4], f[5], f[6], f[7]]);
            if crc != self.crc.sum() {
                return Err("gzip checksum mismatch".to_string());
            }
            if size != self.crc.amount() {
                return Err("gzip length mismatch".to_string());
            }
            self.members += 1;
            self.inflate.reset(false);
            self.crc.reset();
            self.header_crc.reset();
            self.enter(Stage::Header);
            Ok(())
        }

        /// `None` when the input ended after a complete member.
        pub(super) fn finish(&mut self) -> Option<String> {
            if self.stage == Stage::Header && self.got == 0 && self.members > 0 {
                return None;
            }
            Some(
                if self.members == 0 && self.stage == Stage::Header && self.got == 0 {
                    "empty gzip body".to_string()
                } else {
                    "unexpected end of the gzip stream".to_string()
                },
            )
        }
    }
}

#[cfg(all(test, feature = "zstd"))]
mod tests {
    use super::zstd_window_log;

    #[test]
    fn zstd_window_follows_the_limit() {
        // At least 8 MiB, the next power of two at or above the limit, at most 128 MiB.
        for (limit, log) in [
            (1, 23),
            (8 << 20, 23),
            ((8 << 20) + 1, 24),
            (10_000_000, 24),
            (64 << 20, 26),
            (1 << 40, 27),
        ] {
            assert_eq!(zstd_window_log(limit), log, "limit {limit}");
        }
    }
}
