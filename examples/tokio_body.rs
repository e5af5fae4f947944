//! Stream an async body through `ChunkParser`: chunks are parsed as they arrive, only a partial line is carried
//! between them, and no body is ever held whole.
//!
//! `cargo run --example tokio_body [FILE]` (without FILE: a small embedded body, read through the same
//! `AsyncRead` path). A hyper/reqwest body works the same way: feed each `Bytes` frame.

use promtext::{ChunkParser, Settings};
use tokio::io::{AsyncRead, AsyncReadExt};

const BODY: &[u8] = b"# TYPE envoy_server_live gauge\nenvoy_server_live{} 1\n# TYPE envoy_server_uptime gauge\nenvoy_server_uptime{} 86400\n";

async fn count_samples(
    mut body: impl AsyncRead + Unpin,
) -> Result<(u64, f64), Box<dyn std::error::Error>> {
    let mut parser = ChunkParser::new(Settings::default());
    // Small on purpose: lines straddle chunks.
    let mut buf = vec![0u8; 16];
    let (mut samples, mut sum) = (0u64, 0.0);
    loop {
        let n = body.read(&mut buf).await?;
        // `feed` borrows the chunk: drain its events before reading the next one.
        let events = if n == 0 {
            parser.finish()
        } else {
            parser.feed(&buf[..n])
        };
        for ev in events {
            if let Some(s) = ev?.as_sample() {
                samples += 1;
                sum += s.value();
            }
        }
        if n == 0 {
            return Ok((samples, sum));
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (samples, sum) = rt.block_on(async {
        match std::env::args().nth(1) {
            Some(path) => count_samples(tokio::fs::File::open(path).await?).await,
            None => count_samples(BODY).await,
        }
    })?;
    println!("{samples} samples, values summing to {sum}");
    Ok(())
}
