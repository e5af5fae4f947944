//! The consumer the parallel bench and `benches/tools/parallel_ratio.rs` share: every sample's value
//! and every label name and value read, on one thread or inside the blocks.

use promtext::parallel::Options;
use promtext::{Event, Settings};

/// Reads what a scraper reads of an event. Inlined into every loop, as a consumer's own code
/// would be (see `benches/parse.rs`): out of line, the call and the event taken by reference
/// slowed the block closure more than the single-threaded loop.
#[inline(always)]
pub fn consume(ev: &Event<'_>) -> usize {
    match ev {
        Event::Sample(s) => {
            let mut n = s.value().to_bits() as usize & 1;
            for l in s.labels() {
                n += l.name.len() + l.value.len();
            }
            n
        }
        _ => 1,
    }
}

/// [`promtext::parse`] on the calling thread.
pub fn single(input: &[u8]) -> usize {
    promtext::parse(input)
        .map(|ev| consume(&ev.expect("valid input")))
        .sum()
}

/// [`Options::parse_blocks`], the events consumed inside the blocks.
pub fn blocks(options: &Options, input: &[u8]) -> usize {
    options
        .parse_blocks(input, Settings::default(), |block| {
            block
                .map(|ev| consume(&ev.expect("valid input")))
                .sum::<usize>()
        })
        .expect("valid input")
        .into_iter()
        .sum()
}

/// The body cut once near its middle and the halves parsed by [`single`] on two scoped
/// threads: the machine's ceiling for two threads (not a correct parse: the second half's line
/// numbers start at 1).
pub fn halves_scoped(input: &[u8]) -> usize {
    let (a, b) = super::halves(input);
    std::thread::scope(|s| {
        let second = s.spawn(|| single(b));
        single(a) + second.join().expect("no panic")
    })
}
