//! Streaming `Content-Encoding` decoders (gzip, zstd, brotli behind features).

#[cfg(any(feature = "gzip", feature = "zstd", feature = "brotli"))]
use std::io::Write;

use super::ScrapeError;

/// Compressed input is handed to a decoder in slices of at most this many bytes, so the decompressed output held
/// at once stays bounded even for highly compressible bodies.
const IN_SLICE: usize = 8 << 10;

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
            return Err(ScrapeError::UnsupportedEncoding(h.to_string()));
        };
        if !e.is_supported() {
            return Err(ScrapeError::UnsupportedEncoding(h.to_string()));
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

/// A push decoder: compressed chunks in, decompressed bytes out (into a reused buffer).
pub(crate) enum Decoder {
    Identity,
    #[cfg(feature = "gzip")]
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
    #[cfg(feature = "zstd")]
    Zstd(Box<zstd::stream::write::Decoder<'static, Vec<u8>>>),
    #[cfg(feature = "brotli")]
    Brotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Decoder::Identity => "Identity",
            #[cfg(feature = "gzip")]
            Decoder::Gzip(_) => "Gzip",
            #[cfg(feature = "zstd")]
            Decoder::Zstd(_) => "Zstd",
            #[cfg(feature = "brotli")]
            Decoder::Brotli(_) => "Brotli",
        })
    }
}

fn err(encoding: Encoding, e: impl std::fmt::Display) -> ScrapeError {
    ScrapeError::Decode {
        encoding: encoding.as_str(),
        message: e.to_string(),
    }
}

impl Decoder {
    pub(crate) fn new(encoding: Encoding) -> Result<Decoder, ScrapeError> {
        Ok(match encoding {
            Encoding::Identity => Decoder::Identity,
            #[cfg(feature = "gzip")]
            Encoding::Gzip => Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new()))),
            #[cfg(feature = "zstd")]
            Encoding::Zstd => Decoder::Zstd(Box::new(
                zstd::stream::write::Decoder::new(Vec::new()).map_err(|e| err(encoding, e))?,
            )),
            #[cfg(feature = "brotli")]
            Encoding::Brotli => Decoder::Brotli(Box::new(brotli::DecompressorWriter::new(
                Vec::new(),
                8 << 10,
            ))),
            #[allow(unreachable_patterns)]
            other => return Err(ScrapeError::UnsupportedEncoding(other.as_str().to_string())),
        })
    }

    fn encoding(&self) -> Encoding {
        match self {
            Decoder::Identity => Encoding::Identity,
            #[cfg(feature = "gzip")]
            Decoder::Gzip(_) => Encoding::Gzip,
            #[cfg(feature = "zstd")]
            Decoder::Zstd(_) => Encoding::Zstd,
            #[cfg(feature = "brotli")]
            Decoder::Brotli(_) => Encoding::Brotli,
        }
    }

    /// The decoder's output buffer (not used for identity).
    #[allow(clippy::ptr_arg)]
    fn out(&mut self) -> Option<&mut Vec<u8>> {
        match self {
            Decoder::Identity => None,
            #[cfg(feature = "gzip")]
            Decoder::Gzip(d) => Some(d.get_mut()),
            #[cfg(feature = "zstd")]
            Decoder::Zstd(d) => Some(d.get_mut()),
            #[cfg(feature = "brotli")]
            Decoder::Brotli(d) => Some(d.get_mut()),
        }
    }

    /// Decodes `chunk`, calling `sink` with each piece of decompressed output. `sink` returns `false` to stop.
    // Without any compression feature only the identity arm is left.
    #[allow(irrefutable_let_patterns, unused_variables)]
    pub(crate) fn feed(
        &mut self,
        chunk: &[u8],
        mut sink: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), ScrapeError> {
        if let Decoder::Identity = self {
            sink(chunk);
            return Ok(());
        }
        let enc = self.encoding();
        for piece in chunk.chunks(IN_SLICE) {
            let r: std::io::Result<()> = match self {
                Decoder::Identity => Ok(()),
                #[cfg(feature = "gzip")]
                Decoder::Gzip(d) => d.write_all(piece),
                #[cfg(feature = "zstd")]
                Decoder::Zstd(d) => d.write_all(piece),
                #[cfg(feature = "brotli")]
                Decoder::Brotli(d) => d.write_all(piece),
            };
            r.map_err(|e| err(enc, e))?;
            if !self.drain(&mut sink) {
                return Ok(());
            }
        }
        Ok(())
    }

    fn drain(&mut self, sink: &mut impl FnMut(&[u8]) -> bool) -> bool {
        match self.out() {
            Some(out) if !out.is_empty() => {
                let go = sink(out);
                out.clear();
                go
            }
            _ => true,
        }
    }

    /// Ends the stream: flushes the decoder, reporting a truncated or corrupt stream.
    pub(crate) fn finish(
        &mut self,
        mut sink: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), ScrapeError> {
        let enc = self.encoding();
        let r: std::io::Result<()> = match self {
            Decoder::Identity => Ok(()),
            #[cfg(feature = "gzip")]
            Decoder::Gzip(d) => d.try_finish(),
            #[cfg(feature = "zstd")]
            Decoder::Zstd(d) => d.do_finish(),
            #[cfg(feature = "brotli")]
            Decoder::Brotli(d) => d.flush().and_then(|()| d.close()),
        };
        // Output produced before an error is still handed on, so the parser sees the same bytes either way.
        self.drain(&mut sink);
        r.map_err(|e| err(enc, e))
    }
}
