//! The kinds of git object, one closed set for the pack engine and the tree walks.
//!
//! Takes a pack header's three type bits ([`ObjectKind::from_pack_bits`]) or libgit2's
//! `ObjectType` ([`ObjectKind::from_git2`]); gives an [`ObjectKind`], which the pack layout
//! stores back in three bits ([`ObjectKind::pack_bits`]).

use git2::ObjectType;

/// What a git object is: the four object types, the two delta encodings a pack stores
/// objects in, and `Broken` for a pack object whose header cannot be read. Ordered as
/// their pack type numbers are (`Broken` as 0), which orders work deterministically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// A pack object whose header cannot be read (reserved type 5, a truncated pack, a
    /// base that is no object): never decoded.
    Broken,
    /// A commit.
    Commit,
    /// A tree (a directory listing).
    Tree,
    /// A blob: file content, the only kind scanned.
    Blob,
    /// An annotated tag.
    Tag,
    /// A delta on a base at an earlier offset of the same pack.
    OfsDelta,
    /// A delta on a base named by its id.
    RefDelta,
}

impl ObjectKind {
    /// The kind a pack header's type bits (0..=7) name; `None` for 0 and the reserved 5.
    pub fn from_pack_bits(bits: u8) -> Option<ObjectKind> {
        Some(match bits {
            1 => ObjectKind::Commit,
            2 => ObjectKind::Tree,
            3 => ObjectKind::Blob,
            4 => ObjectKind::Tag,
            6 => ObjectKind::OfsDelta,
            7 => ObjectKind::RefDelta,
            _ => return None,
        })
    }

    /// The three bits a pack layout stores for this kind (`Broken` is 0, never a header's).
    pub fn pack_bits(self) -> u8 {
        match self {
            ObjectKind::Broken => 0,
            ObjectKind::Commit => 1,
            ObjectKind::Tree => 2,
            ObjectKind::Blob => 3,
            ObjectKind::Tag => 4,
            ObjectKind::OfsDelta => 6,
            ObjectKind::RefDelta => 7,
        }
    }

    /// Stored bits back to a kind; anything unknown reads as `Broken`.
    pub fn from_stored(bits: u8) -> ObjectKind {
        ObjectKind::from_pack_bits(bits).unwrap_or(ObjectKind::Broken)
    }

    /// libgit2's type as a kind; `None` for `Any` (libgit2 never reads a delta as such).
    pub fn from_git2(t: ObjectType) -> Option<ObjectKind> {
        Some(match t {
            ObjectType::Commit => ObjectKind::Commit,
            ObjectType::Tree => ObjectKind::Tree,
            ObjectType::Blob => ObjectKind::Blob,
            ObjectType::Tag => ObjectKind::Tag,
            ObjectType::Any => return None,
        })
    }

    /// A complete object (not a delta, not broken).
    pub fn is_object(self) -> bool {
        matches!(self, ObjectKind::Commit | ObjectKind::Tree | ObjectKind::Blob | ObjectKind::Tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_bits_round_trip_and_reserved_types_are_none() {
        for bits in 0..8u8 {
            match ObjectKind::from_pack_bits(bits) {
                Some(k) => assert_eq!(k.pack_bits(), bits),
                None => assert!(bits == 0 || bits == 5),
            }
        }
        assert_eq!(ObjectKind::from_stored(5), ObjectKind::Broken);
        assert_eq!(ObjectKind::from_stored(ObjectKind::Broken.pack_bits()), ObjectKind::Broken);
        assert_eq!(ObjectKind::from_git2(ObjectType::Tree), Some(ObjectKind::Tree));
        assert!(ObjectKind::Tag.is_object() && !ObjectKind::OfsDelta.is_object());
    }
}
