//! Decoded objects a resolver worker hands to its visitor many at a time, so a visitor
//! that shares state (the tree graph behind one lock) takes its lock once per batch.
//!
//! Takes decoded objects (id, kind, bytes), copied; gives them back in the order they came.

use git2::Oid;

use crate::source::git::kind::ObjectKind;

/// Decoded objects waiting to be handed to a visitor: a worker's copy of their bytes,
/// at most [`BATCH_BYTES`] (a larger object is handed over on its own).
#[derive(Default)]
pub struct Batch {
    /// Each object's id, kind and where its bytes end.
    items: Vec<(Oid, ObjectKind, usize)>,
    pub(super) bytes: Vec<u8>,
}

/// Bytes of decoded objects a worker buffers for its visitor.
pub(super) const BATCH_BYTES: usize = 1 << 20;

impl Batch {
    /// The objects, in the order they were decoded.
    pub fn iter(&self) -> impl Iterator<Item = (Oid, ObjectKind, &[u8])> {
        let starts = std::iter::once(0).chain(self.items.iter().map(|&(_, _, end)| end));
        self.items.iter().zip(starts).map(|(&(oid, kind, end), start)| (oid, kind, &self.bytes[start..end]))
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// No object.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(super) fn push(&mut self, oid: Oid, kind: ObjectKind, data: &[u8]) {
        self.bytes.extend_from_slice(data);
        self.items.push((oid, kind, self.bytes.len()));
    }

    pub(super) fn clear(&mut self) {
        self.items.clear();
        self.bytes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_back_each_object_in_order_and_empties() {
        let mut b = Batch::default();
        let id = |n: u8| Oid::from_bytes(&[n; 20]).unwrap();
        b.push(id(1), ObjectKind::Tree, b"first");
        b.push(id(2), ObjectKind::Tree, b"");
        b.push(id(3), ObjectKind::Blob, b"third one");
        let got: Vec<_> = b.iter().map(|(o, k, d)| (o, k, d.to_vec())).collect();
        assert_eq!(
            got,
            [
                (id(1), ObjectKind::Tree, b"first".to_vec()),
                (id(2), ObjectKind::Tree, Vec::new()),
                (id(3), ObjectKind::Blob, b"third one".to_vec())
            ]
        );
        assert_eq!(b.len(), 3);
        b.clear();
        assert!(b.is_empty() && b.iter().next().is_none() && b.bytes.is_empty());
    }
}
