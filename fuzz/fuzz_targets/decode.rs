//! The scrape layer's `Content-Encoding` decoders under a body size limit: any input, cut anywhere,
//! must decode without a panic, stop within one output piece of the limit, and give the same
//! verdict however the body is cut. Input: a mode byte (encoding, limit), a chunk-size byte, then
//! the body as sent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use promtext::relabel::Pipeline;
use promtext::scrape::{Discard, ScrapeConfig, Scraper, Target};

const ENCODINGS: [&str; 4] = ["gzip", "zstd", "br", "identity"];
const LIMITS: [u64; 4] = [0, 1 << 10, 64 << 10, 1 << 20];
/// The decoders hand on at most this much output at once.
const PIECE: u64 = 32 << 10;

struct Outcome {
    ok: bool,
    body_bytes: u64,
    samples: u64,
}

fn scrape(limit: u64, enc: &str, body: &[u8], chunk: usize) -> Outcome {
    let mut cfg = ScrapeConfig::new(Pipeline::new(&[], Default::default()).unwrap());
    cfg.limits.body_size_limit = limit;
    let target = Target::from_labels(&[("job", "fuzz")]);
    let mut s = Scraper::new(cfg, &target);
    let mut app = Discard::default();
    let mut sc = s.begin("text/plain; version=0.0.4", enc);
    for c in body.chunks(chunk.max(1)) {
        if sc.feed(c, &mut app).is_err() {
            break;
        }
    }
    let r = sc.finish(&mut app);
    Outcome {
        ok: r.up(),
        body_bytes: r.body_bytes,
        samples: r.samples_scraped,
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, cut, body @ ..] = data else {
        return;
    };
    let enc = ENCODINGS[(mode & 3) as usize];
    let limit = LIMITS[((mode >> 2) & 3) as usize];
    let whole = scrape(limit, enc, body, body.len());
    let cut = scrape(limit, enc, body, *cut as usize + 1);
    for o in [&whole, &cut] {
        if limit > 0 && enc != "identity" {
            assert!(
                o.body_bytes <= limit + PIECE,
                "{enc}: {} bytes decoded under a limit of {limit}",
                o.body_bytes
            );
        }
        if o.ok && limit > 0 {
            assert!(o.body_bytes < limit);
        }
    }
    // The verdict does not depend on how the body is cut; a successful scrape decodes the same bytes.
    assert_eq!(
        whole.ok, cut.ok,
        "{enc}: whole {} / cut {}",
        whole.ok, cut.ok
    );
    if whole.ok {
        assert_eq!(
            (whole.body_bytes, whole.samples),
            (cut.body_bytes, cut.samples)
        );
    }
});
