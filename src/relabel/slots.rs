//! Label names a pipeline reads or writes by a fixed name, resolved once per label set.
//!
//! Every source label, every literal target and every literal `labeldrop` name of a pipeline is known when it is
//! compiled. Each distinct name gets a slot number. Applying the pipeline starts with one pass over the input
//! names that looks each up in a small hash table of those names, so that the rules then read and write their
//! labels by slot, without comparing strings. Kubernetes discovery names share 20-30-byte prefixes
//! (`__meta_kubernetes_pod_…`), which makes every sorted-order comparison between them costly; the hash below
//! reads the first and the last eight bytes and the length, which tell them apart.

use super::strcmp::eq_bytes;

/// No slot, or a slot whose name is absent from the label set.
pub(crate) const NONE: u32 = u32::MAX;

/// The slot names of a pipeline and their hash table.
#[derive(Debug, Default)]
pub(crate) struct SlotTable {
    names: Vec<Box<str>>,
    /// Open addressing, linear probing: `(tag, slot)`, `slot == NONE` for an empty cell.
    cells: Box<[(u32, u32)]>,
    shift: u32,
    /// Bit `len % 64` is set for the length of every name: most names that are not slots fail this test.
    lengths: u64,
}

/// A word of up to eight bytes of `b` starting at `i` (little-endian, zero-padded past the end).
#[inline(always)]
fn word(b: &[u8], i: usize) -> u64 {
    match b.get(i..i + 8) {
        Some(w) => u64::from_le_bytes(w.try_into().unwrap_or([0; 8])),
        None => {
            let mut x = [0u8; 8];
            let tail = b.get(i..).unwrap_or(&[]);
            let n = tail.len().min(8);
            x[..n].copy_from_slice(&tail[..n]);
            u64::from_le_bytes(x)
        }
    }
}

#[inline(always)]
fn key(b: &[u8]) -> u64 {
    let n = b.len();
    let (first, last) = if n >= 8 {
        (word(b, 0), word(b, n - 8))
    } else {
        (word(b, 0), 0)
    };
    (first.rotate_left(29) ^ last ^ (n as u64).wrapping_mul(0xff51_afd7_ed55_8ccd))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl SlotTable {
    /// The slot of `name`, adding it if new.
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(i) = self.names.iter().position(|n| &**n == name) {
            return i as u32;
        }
        self.names.push(name.into());
        (self.names.len() - 1) as u32
    }

    /// Builds the hash table; call after the last [`SlotTable::intern`].
    pub(crate) fn seal(&mut self) {
        // At most a quarter full, so that a name that is not a slot usually meets an empty cell at once.
        let size = (self.names.len() * 4).next_power_of_two().max(16);
        self.shift = 64 - size.trailing_zeros();
        let mut cells = vec![(0u32, NONE); size].into_boxed_slice();
        let mask = size - 1;
        self.lengths = 0;
        for (slot, name) in self.names.iter().enumerate() {
            self.lengths |= 1 << (name.len() % 64);
            let k = key(name.as_bytes());
            let mut i = (k >> self.shift) as usize;
            while cells[i].1 != NONE {
                i = (i + 1) & mask;
            }
            cells[i] = (k as u32, slot as u32);
        }
        self.cells = cells;
    }

    /// Number of slots.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The name of `slot`.
    pub(crate) fn name(&self, slot: u32) -> &str {
        &self.names[slot as usize]
    }

    /// The slot named `name`.
    #[inline]
    pub(crate) fn find(&self, name: &str) -> Option<u32> {
        self.find_bytes(name.as_bytes())
    }

    /// The slot whose name is the bytes `name`.
    #[inline(always)]
    pub(crate) fn find_bytes(&self, name: &[u8]) -> Option<u32> {
        if self.lengths & (1 << (name.len() % 64)) == 0 {
            return None;
        }
        let k = key(name);
        let mask = self.cells.len() - 1;
        let mut i = (k >> self.shift) as usize;
        loop {
            let (tag, slot) = self.cells[i];
            if slot == NONE {
                return None;
            }
            if tag == k as u32 && eq_bytes(self.names[slot as usize].as_bytes(), name) {
                return Some(slot);
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_its_names() {
        let mut t = SlotTable::default();
        let names = [
            "",
            "a",
            "job",
            "__address__",
            "__meta_kubernetes_pod_label_name",
            "__meta_kubernetes_pod_label_namf",
            "__meta_kubernetes_pod_container_port_name",
            "abcdefgh",
            "abcdefghi",
        ];
        for n in names {
            t.intern(n);
        }
        assert_eq!(t.intern("job"), 2);
        t.seal();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.find(n), Some(i as u32), "{n}");
            assert_eq!(t.name(i as u32), *n);
        }
        for n in [
            "b",
            "jo",
            "jobs",
            "__address_",
            "__meta_kubernetes_pod_label_nam",
            "abcdefgi",
            "é",
        ] {
            assert_eq!(t.find(n), None, "{n}");
        }
        assert_eq!(SlotTable::default().find("a"), None);
    }

    #[test]
    fn many_names_with_shared_prefixes() {
        let mut t = SlotTable::default();
        let names: Vec<String> = (0..300)
            .map(|i| format!("__meta_kubernetes_pod_label_{i}"))
            .collect();
        for n in &names {
            t.intern(n);
        }
        t.seal();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.find(n), Some(i as u32));
            assert_eq!(t.find(&format!("{n}x")), None);
        }
    }
}
