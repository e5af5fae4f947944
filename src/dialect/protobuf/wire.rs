//! Protobuf wire format: varints, keys and field walking over a borrowed buffer.
//!
//! Every read is bounds-checked against the buffer; a length prefix is compared with what is
//! left before anything is sliced, so a hostile length can neither over-read nor make anything
//! allocate.

/// A wire-level problem at a byte position of the buffer being walked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WireError {
    /// Position in the walked buffer.
    pub at: usize,
    pub what: &'static str,
}

impl WireError {
    fn new(at: usize, what: &'static str) -> Self {
        WireError { at, what }
    }
}

/// The deepest nesting of groups skipped inside one unknown field (prost's recursion limit).
const MAX_GROUP_DEPTH: u32 = 100;

/// Reads a base-128 varint at `*pos`, advancing it. At most ten bytes, the tenth at most 1
/// (Go's `binary.Uvarint` overflow rule).
#[inline(always)]
pub(crate) fn read_varint(b: &[u8], pos: &mut usize) -> Result<u64, WireError> {
    let start = *pos;
    // One-byte varints (field keys, small counts) dominate.
    if let Some(&x) = b.get(start) {
        if x < 0x80 {
            *pos = start + 1;
            return Ok(x as u64);
        }
    }
    let mut v: u64 = 0;
    let mut shift = 0u32;
    let mut i = start;
    loop {
        let Some(&x) = b.get(i) else {
            return Err(WireError::new(start, "truncated varint"));
        };
        i += 1;
        if shift == 63 && x > 1 {
            return Err(WireError::new(start, "varint overflows 64 bits"));
        }
        v |= ((x & 0x7f) as u64) << shift;
        if x < 0x80 {
            *pos = i;
            return Ok(v);
        }
        shift += 7;
        if shift > 63 {
            return Err(WireError::new(start, "varint overflows 64 bits"));
        }
    }
}

/// `b` as UTF-8: ASCII text after a check of a few wide loads (nearly every string of a body);
/// otherwise simdutf8's vector check from 64 bytes on, the standard library's below (simdutf8
/// itself hands short inputs to it).
#[inline(always)]
pub(crate) fn utf8(b: &[u8]) -> Option<&str> {
    if let Some(s) = crate::event::located::ascii_str(b) {
        return Some(s);
    }
    utf8_other(b)
}

/// [`utf8`] for text that is not ASCII.
#[cold]
#[inline(never)]
fn utf8_other(b: &[u8]) -> Option<&str> {
    if b.len() >= 64 {
        simdutf8::basic::from_utf8(b).ok()
    } else {
        std::str::from_utf8(b).ok()
    }
}

/// Zigzag decoding (`sint32`/`sint64`).
#[inline(always)]
pub(crate) fn zigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A field's value, borrowed from the buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
    /// A group (deprecated wire types 3/4), skipped whole.
    Group,
}

impl<'a> Value<'a> {
    /// A `double` field, or `None` for another wire type.
    #[inline(always)]
    pub(crate) fn as_f64(self) -> Option<f64> {
        match self {
            Value::Fixed64(x) => Some(f64::from_bits(x)),
            _ => None,
        }
    }

    /// A varint field.
    #[inline(always)]
    pub(crate) fn as_varint(self) -> Option<u64> {
        match self {
            Value::Varint(x) => Some(x),
            _ => None,
        }
    }

    /// A length-delimited field.
    #[inline(always)]
    pub(crate) fn as_bytes(self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(x) => Some(x),
            _ => None,
        }
    }
}

/// The fields of one message, in wire order.
#[derive(Clone, Debug)]
pub(crate) struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    #[inline(always)]
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Fields { buf, pos: 0 }
    }

    /// The length of the buffer.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The position of the next field in the buffer.
    #[inline(always)]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` (at most the buffer's length), the end of a field read without the
    /// walker.
    #[inline(always)]
    pub(crate) fn skip_to(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    /// The next field: its number, value and the position its key starts at.
    #[inline(always)]
    pub(crate) fn next_field(&mut self) -> Option<Result<(u32, Value<'a>, usize), WireError>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let at = self.pos;
        Some(self.field(at).inspect_err(|_| {
            // A malformed message stops the walk.
            self.pos = self.buf.len();
        }))
    }

    #[inline(always)]
    fn field(&mut self, at: usize) -> Result<(u32, Value<'a>, usize), WireError> {
        let key = read_varint(self.buf, &mut self.pos)?;
        let number = key >> 3;
        if number == 0 || number > (1 << 29) - 1 {
            return Err(WireError::new(at, "invalid field number"));
        }
        let number = number as u32;
        let value = match key & 7 {
            0 => Value::Varint(read_varint(self.buf, &mut self.pos)?),
            1 => {
                let end = self.pos + 8;
                let Some(b) = self.buf.get(self.pos..end) else {
                    return Err(WireError::new(at, "truncated fixed64 field"));
                };
                self.pos = end;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Value::Fixed64(u64::from_le_bytes(a))
            }
            2 => {
                let len = read_varint(self.buf, &mut self.pos)?;
                let left = (self.buf.len() - self.pos) as u64;
                if len > left {
                    return Err(WireError::new(at, "length exceeds the enclosing message"));
                }
                let end = self.pos + len as usize;
                let b = &self.buf[self.pos..end];
                self.pos = end;
                Value::Bytes(b)
            }
            3 => {
                self.skip_group(number, at, 1)?;
                Value::Group
            }
            5 => {
                let end = self.pos + 4;
                let Some(b) = self.buf.get(self.pos..end) else {
                    return Err(WireError::new(at, "truncated fixed32 field"));
                };
                self.pos = end;
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                Value::Fixed32(u32::from_le_bytes(a))
            }
            4 => return Err(WireError::new(at, "unexpected end of group")),
            _ => return Err(WireError::new(at, "invalid wire type")),
        };
        Ok((number, value, at))
    }

    /// Skips a group's fields through its matching end-group key.
    fn skip_group(&mut self, number: u32, at: usize, depth: u32) -> Result<(), WireError> {
        if depth > MAX_GROUP_DEPTH {
            return Err(WireError::new(at, "groups nested too deeply"));
        }
        loop {
            if self.pos >= self.buf.len() {
                return Err(WireError::new(at, "truncated group"));
            }
            let key_at = self.pos;
            let key = read_varint(self.buf, &mut self.pos)?;
            if key & 7 == 4 {
                if key >> 3 != number as u64 {
                    return Err(WireError::new(key_at, "mismatched end of group"));
                }
                return Ok(());
            }
            if key & 7 == 3 {
                let n = key >> 3;
                if n == 0 || n > (1 << 29) - 1 {
                    return Err(WireError::new(key_at, "invalid field number"));
                }
                self.skip_group(n as u32, key_at, depth + 1)?;
                continue;
            }
            // Re-read the key through the general path.
            self.pos = key_at;
            self.field(key_at)?;
        }
    }
}

/// The values of a repeated scalar field `number` in a message, packed or not (a decoder must
/// accept both encodings, and a mix of them).
#[derive(Clone, Debug)]
pub(crate) struct Repeated<'a> {
    fields: Fields<'a>,
    number: u32,
    packed: &'a [u8],
    packed_pos: usize,
    fixed64: bool,
}

impl<'a> Repeated<'a> {
    /// `fixed64`: the field is a `double` (else a varint type).
    pub(crate) fn new(msg: &'a [u8], number: u32, fixed64: bool) -> Self {
        Repeated {
            fields: Fields::new(msg),
            number,
            packed: &[],
            packed_pos: 0,
            fixed64,
        }
    }

    /// The values of one packed field's bytes `packed` (when they are the field's only
    /// occurrence in its message).
    pub(crate) fn packed(packed: &'a [u8], fixed64: bool) -> Self {
        Repeated {
            fields: Fields::new(&[]),
            number: 0,
            packed,
            packed_pos: 0,
            fixed64,
        }
    }
}

impl Iterator for Repeated<'_> {
    /// The raw value: the bits of a `double`, or the varint.
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        loop {
            if self.packed_pos < self.packed.len() {
                if self.fixed64 {
                    let b = self.packed.get(self.packed_pos..self.packed_pos + 8)?;
                    self.packed_pos += 8;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    return Some(u64::from_le_bytes(a));
                }
                return read_varint(self.packed, &mut self.packed_pos).ok();
            }
            let (n, v, _) = self.fields.next_field()?.ok()?;
            if n != self.number {
                continue;
            }
            match v {
                Value::Bytes(b) => {
                    self.packed = b;
                    self.packed_pos = 0;
                }
                Value::Fixed64(x) if self.fixed64 => return Some(x),
                Value::Varint(x) if !self.fixed64 => return Some(x),
                _ => {}
            }
        }
    }
}

/// Counts the values of a repeated scalar field and checks their encoding: `Err` names the
/// first malformed one.
pub(crate) fn count_repeated(msg: &[u8], number: u32, fixed64: bool) -> Result<usize, WireError> {
    let mut n = 0usize;
    let mut f = Fields::new(msg);
    while let Some(r) = f.next_field() {
        let (num, v, at) = r?;
        if num != number {
            continue;
        }
        match v {
            Value::Bytes(b) => n += count_packed(b, fixed64, at)?,
            Value::Fixed64(_) if fixed64 => n += 1,
            Value::Varint(_) if !fixed64 => n += 1,
            _ => return Err(WireError::new(at, "wrong wire type for a repeated field")),
        }
    }
    Ok(n)
}

/// Counts the values of one packed field's bytes `b` and checks their encoding; `at` is the
/// field's key position, which an error names.
pub(crate) fn count_packed(b: &[u8], fixed64: bool, at: usize) -> Result<usize, WireError> {
    if fixed64 {
        if b.len() % 8 != 0 {
            return Err(WireError::new(
                at,
                "packed doubles not a multiple of 8 bytes",
            ));
        }
        return Ok(b.len() / 8);
    }
    let mut n = 0;
    let mut p = 0;
    while p < b.len() {
        read_varint(b, &mut p).map_err(|_| WireError::new(at, "malformed packed varint"))?;
        n += 1;
    }
    Ok(n)
}

/// Appends a varint.
#[inline]
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a field key.
#[inline]
pub(crate) fn put_key(out: &mut Vec<u8>, number: u32, wire_type: u8) {
    put_varint(out, ((number as u64) << 3) | wire_type as u64);
}

/// The encoded size of a varint.
#[cfg(test)]
pub(crate) fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `utf8` accepts and returns what `std::str::from_utf8` does, on both sides of the length
    /// where it switches to simdutf8, with a multi-byte char, a truncated one or a stray byte
    /// at every position.
    #[test]
    fn utf8_agrees_with_std() {
        for len in 0..140 {
            let base: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let mut cases = vec![base.clone()];
            for at in 0..len {
                for bad in [
                    &[0x80u8][..],
                    &[0xff],
                    &[0xc3, 0xa9],
                    &[0xe2, 0x82],
                    &[0xf0, 0x9f, 0x98, 0x80],
                ] {
                    let mut m = base.clone();
                    let end = (at + bad.len()).min(len);
                    m[at..end].copy_from_slice(&bad[..end - at]);
                    cases.push(m);
                }
            }
            for m in cases {
                assert_eq!(utf8(&m), std::str::from_utf8(&m).ok(), "{m:x?}");
            }
        }
    }

    #[test]
    fn varints() {
        let cases: &[(&[u8], Result<u64, &str>)] = &[
            (&[0], Ok(0)),
            (&[0x7f], Ok(127)),
            (&[0x80, 0x01], Ok(128)),
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                Ok(u64::MAX),
            ),
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
                Err("varint overflows 64 bits"),
            ),
            (
                &[
                    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
                ],
                Err("varint overflows 64 bits"),
            ),
            (&[0x80], Err("truncated varint")),
            (&[], Err("truncated varint")),
        ];
        for (bytes, want) in cases {
            let mut p = 0;
            let got = read_varint(bytes, &mut p).map_err(|e| e.what);
            assert_eq!(got, *want, "{bytes:x?}");
        }
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v));
            let mut p = 0;
            assert_eq!(read_varint(&out, &mut p), Ok(v));
        }
    }

    #[test]
    fn zigzag_values() {
        assert_eq!(zigzag(0), 0);
        assert_eq!(zigzag(1), -1);
        assert_eq!(zigzag(2), 1);
        assert_eq!(zigzag(u64::MAX), i64::MIN);
    }

    #[test]
    fn hostile_lengths_are_rejected_without_reading() {
        // Field 1, length-delimited, length 2^62.
        let msg = [0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
        let e = Fields::new(&msg).next_field().unwrap().unwrap_err();
        assert_eq!(e.what, "length exceeds the enclosing message");
        let e = Fields::new(&[0x09, 1, 2])
            .next_field()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.what, "truncated fixed64 field");
        let e = Fields::new(&[0x00, 1]).next_field().unwrap().unwrap_err();
        assert_eq!(e.what, "invalid field number");
        let e = Fields::new(&[0x0f]).next_field().unwrap().unwrap_err();
        assert_eq!(e.what, "invalid wire type");
    }

    #[test]
    fn groups_are_skipped() {
        // Group 5 holding a varint field 1 and a nested group 2; then varint field 3.
        let msg = [0x2b, 0x08, 0x01, 0x13, 0x14, 0x2c, 0x18, 0x07];
        let mut f = Fields::new(&msg);
        assert_eq!(f.next_field().unwrap().unwrap().1, Value::Group);
        assert_eq!(f.next_field().unwrap().unwrap().1, Value::Varint(7));
        assert!(f.next_field().is_none());
        let e = Fields::new(&[0x2b, 0x08, 0x01])
            .next_field()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.what, "truncated group");
        let e = Fields::new(&[0x2b, 0x34])
            .next_field()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.what, "mismatched end of group");
        let deep: Vec<u8> = std::iter::repeat_n(0x2b, 200).collect();
        let e = Fields::new(&deep).next_field().unwrap().unwrap_err();
        assert_eq!(e.what, "groups nested too deeply");
    }

    #[test]
    fn repeated_packed_and_unpacked() {
        // Field 13 packed [1, 300], then unpacked 5, then packed [2].
        let msg = [0x6a, 0x03, 0x01, 0xac, 0x02, 0x68, 0x05, 0x6a, 0x01, 0x02];
        let v: Vec<u64> = Repeated::new(&msg, 13, false).collect();
        assert_eq!(v, [1, 300, 5, 2]);
        assert_eq!(count_repeated(&msg, 13, false), Ok(4));
        let mut d = vec![0x71];
        d.extend_from_slice(&1.5f64.to_le_bytes());
        d.extend_from_slice(&[0x72, 0x08]);
        d.extend_from_slice(&2.5f64.to_le_bytes());
        let v: Vec<f64> = Repeated::new(&d, 14, true).map(f64::from_bits).collect();
        assert_eq!(v, [1.5, 2.5]);
        assert_eq!(count_repeated(&d, 14, true), Ok(2));
        assert!(count_repeated(&[0x72, 0x03, 1, 2, 3], 14, true).is_err());
    }
}
