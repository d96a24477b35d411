//! The detector's size limits, shared by the stream scanner and the decoders in
//! `encoded/` (a leaf: it imports nothing, so neither side reaches into the other).

/// The longest secret loftyscan reports (the JWS cap; see README "Limits").
pub const MAX_TOKEN: usize = 16 * 1024;
/// Context kept before and after a secret (Lofty signs, allow markers).
pub const LOOK: usize = 4 * 1024;
