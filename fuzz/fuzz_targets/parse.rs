//! Any bytes: no panic, no unbounded memory, under the default, lenient and tight-limit settings.
#![no_main]
use libfuzzer_sys::fuzz_target;
use promtext::{Event, Settings};

fn touch(ev: &Event<'_>) -> usize {
    match ev {
        Event::Sample(s) => {
            s.labels()
                .map(|l| l.name.len() + l.value.len())
                .sum::<usize>()
                + s.name().len()
                + s.value_text().len()
        }
        Event::Help(h) => h.text().len(),
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    for settings in [
        Settings::default(),
        Settings::default().lenient(true),
        Settings::default().lenient(true).max_line_len(16),
    ] {
        let mut p = promtext::parse_with(data, settings);
        let mut n = 0;
        for ev in p.by_ref() {
            if let Ok(ev) = ev {
                n += touch(&ev);
            }
        }
        assert!(p.skipped_lines() <= p.lines_read());
        std::hint::black_box(n);
    }
});
