//! Differential: the parallel parser, with a small block size taken from the input, must give
//! the single-threaded parser's events, errors (with positions) and skipped-line counts; with
//! block-relative lines, the same once each block's events are moved to its first line.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use promtext::parallel::Options;
use promtext::{Event, Settings};

fn describe(r: &Result<Event<'_>, promtext::Error>) -> String {
    match r {
        Ok(ev) => format!("{ev:?}"),
        Err(e) => format!("ERR {e:?}"),
    }
}

/// Two worker threads whatever the machine, so blocks really run concurrently.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("thread pool")
    })
}

fuzz_target!(|input: (u8, u8, &[u8])| {
    let (mode, block_len, data) = input;
    let settings = Settings::default()
        .lenient(mode & 1 == 1)
        .max_line_len(if mode & 2 == 2 { 24 } else { 1 << 20 })
        .allow_duplicate_labels(mode & 4 == 4);
    let settings = if mode & 8 == 8 {
        settings.dialect(promtext::Dialect::OpenMetrics)
    } else {
        settings
    };
    let relative = mode & 16 == 16;
    let options = Options::default()
        .threshold(0)
        .block_len(usize::from(block_len) + 1)
        .block_lines(relative);

    let mut p = promtext::parse_with(data, settings.clone());
    let want: Vec<String> = p.by_ref().map(|r| describe(&r)).collect();
    let want_skipped = p.skipped_lines();

    let got = pool().install(|| {
        options.parse_blocks(data, settings.clone(), |block| {
            let items: Vec<_> = block.by_ref().collect();
            let shift = if relative { block.first_line() - 1 } else { 0 };
            let items: Vec<String> = items
                .into_iter()
                .map(|mut r| {
                    if let Ok(ev) = &mut r {
                        ev.set_line(ev.line() + shift);
                    }
                    describe(&r)
                })
                .collect();
            (items, block.skipped_lines())
        })
    });
    match got {
        Ok(blocks) => {
            let items: Vec<String> = blocks
                .iter()
                .flat_map(|(items, _)| items.iter().cloned())
                .collect();
            assert_eq!(want, items);
            assert_eq!(want_skipped, blocks.iter().map(|(_, n)| n).sum::<u64>());
            // Without an error, fail-fast mode must not have stopped anywhere.
            assert!(settings.is_lenient() || !want.iter().any(|w| w.starts_with("ERR")));
        }
        Err(e) => {
            assert!(!settings.is_lenient());
            assert_eq!(want.last(), Some(&format!("ERR {e:?}")));
        }
    }

    let whole: Result<Vec<String>, String> = promtext::parse_with(data, settings.clone())
        .map(|r| {
            r.map(|ev| describe(&Ok(ev)))
                .map_err(|e| format!("ERR {e:?}"))
        })
        .collect();
    let vec = pool().install(|| options.parse_to_vec(data, settings));
    let vec = vec
        .map(|evs| {
            evs.iter()
                .map(|ev| describe(&Ok(ev.clone())))
                .collect::<Vec<_>>()
        })
        .map_err(|e| format!("ERR {e:?}"));
    assert_eq!(whole, vec);
});
