//! Differential: the chunk-fed parser offered, before each event, one of the body's own series
//! (the scrape cache's series expected at that position, another one, or none) must give the
//! plain parse's events and errors, for arbitrary input cut into chunks of any size.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, Vec<u16>, &[u8])| {
    let (chunk, offers, data) = input;
    let chunk = if chunk == 0 {
        usize::MAX
    } else {
        usize::from(chunk)
    };
    if let Err(e) = promtext::__fuzzing::known_series_agree(data, chunk, &offers) {
        panic!("{e}");
    }
});
