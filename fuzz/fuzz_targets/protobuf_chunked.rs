//! Differential: the whole-buffer protobuf reader, the chunk-fed one (arbitrary cuts) and the
//! `io::Read` one (arbitrary read sizes) give identical events and errors (with offsets), under a
//! small family limit too; so does the classic-to-custom-buckets converter over them.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use promtext::nhcb::Converter;
use promtext::protobuf::{ChunkParser, Event, Parser, ReadParser, Settings};

#[path = "../../tests/support/pb.rs"]
mod pb;

fn describe(r: &Result<Event<'_>, promtext::Error>) -> String {
    match r {
        Ok(ev) => pb::render(ev),
        Err(e) => format!("ERR {e:?}"),
    }
}

/// One event through the converter; `false` once the input failed.
fn convert(
    c: &mut Converter,
    r: Result<Event<'_>, promtext::Error>,
    out: &mut Vec<String>,
) -> bool {
    let ev = match r {
        Ok(ev) => ev,
        Err(e) => {
            out.push(format!("ERR {e:?}"));
            return false;
        }
    };
    match c.push_protobuf(&ev) {
        Ok(a) => {
            if a.histogram {
                out.push(pb::render(&Event::Histogram(c.histogram().unwrap())));
            }
            if a.event {
                out.push(pb::render(&ev));
            }
            true
        }
        Err(e) => {
            out.push(format!("NHCB {e:?}"));
            false
        }
    }
}

fn convert_end(c: &mut Converter, out: &mut Vec<String>) {
    match c.finish_protobuf() {
        Ok(true) => out.push(pb::render(&Event::Histogram(c.histogram().unwrap()))),
        Ok(false) => {}
        Err(e) => out.push(format!("NHCB {e:?}")),
    }
}

struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fuzz_target!(|input: (u8, Vec<u16>, &[u8])| {
    let (mode, cuts, data) = input;
    let limit = if mode & 4 == 4 { 64 } else { 1 << 20 };
    let settings = Settings::default()
        .classic_histograms(mode & 1 == 1)
        .native_histograms(mode & 2 == 0)
        .max_family_len(limit);
    let whole: Vec<String> = Parser::new(data, settings.clone())
        .map(|r| describe(&r))
        .collect();
    let points = common::cut_points(&cuts, data.len());
    let mut p = ChunkParser::new(settings.clone());
    let mut got = Vec::new();
    let mut prev = 0;
    for c in points {
        got.extend(p.feed(&data[prev..c]).map(|r| describe(&r)));
        prev = c;
    }
    if let Err(e) = p.finish() {
        got.push(format!("ERR {e:?}"));
    }
    assert_eq!(whole, got);

    // Iterators dropped early: what they did not hand out comes first from the next one, up to
    // the family limit plus the largest chunk; past it, `Undrained` ends the body.
    let want = pb::render_all(data, settings.clone());
    let takes = cuts.iter().map(|&c| (c >> 12) as usize).chain([3, 0, 1]);
    let points = common::cut_points(&cuts, data.len());
    let got = pb::render_dropping(data, &settings, limit, &points, takes);
    match got.iter().position(|l| l.starts_with("ERR Undrained")) {
        None => assert_eq!(want, got),
        Some(at) => {
            assert_eq!(want[..at], got[..at]);
            assert_eq!(got.len(), at + 1, "{got:?}");
        }
    }

    let step = 1 + (mode as usize >> 3);
    let mut r = ReadParser::new(Trickle(data, step), settings.clone());
    let mut read = Vec::new();
    while let Some(ev) = r.next_event() {
        read.push(describe(&ev));
    }
    assert_eq!(whole, read);

    // The converter (on the classic series it needs) sees the same events however cut.
    let nhcb = settings.classic_histograms(true);
    let keep = mode & 1 == 1;
    let mut c = Converter::new(keep);
    let mut whole = Vec::new();
    let mut ok = true;
    for r in Parser::new(data, nhcb.clone()) {
        if !convert(&mut c, r, &mut whole) {
            ok = false;
            break;
        }
    }
    if ok {
        convert_end(&mut c, &mut whole);
    }
    let mut c = Converter::new(keep);
    let mut got = Vec::new();
    let mut p = ChunkParser::new(nhcb);
    let mut ok = true;
    let mut prev = 0;
    let points = common::cut_points(&cuts, data.len());
    'feed: for cut in points {
        for r in p.feed(&data[prev..cut]) {
            if !convert(&mut c, r, &mut got) {
                ok = false;
                break 'feed;
            }
        }
        prev = cut;
    }
    if ok {
        match p.finish() {
            Err(e) => got.push(format!("ERR {e:?}")),
            Ok(()) => convert_end(&mut c, &mut got),
        }
    }
    assert_eq!(whole, got);
});
