//! Unit tests of container sniffing and the zip reader's refusals.

use super::*;

#[test]
fn sniffs_magic_bytes() {
    assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Kind::Gzip));
    assert_eq!(sniff(b"PK\x03\x04rest"), Some(Kind::Zip));
    assert_eq!(sniff(b"PK\x05\x06"), None, "an empty zip holds nothing");
    assert_eq!(sniff(b"plain text"), None);
    assert_eq!(sniff(b""), None);
}

#[test]
fn budgets_cap_ratio_and_total() {
    assert_eq!(budget(10), 1 << 20, "small archives may always expand to 1 MiB");
    assert_eq!(budget(100 << 10), 100_000 << 10);
    assert_eq!(budget(1 << 30), CAPS.total);
}

#[test]
fn broken_zips_are_errors_not_panics() {
    assert!(zip_entries(b"PK\x03\x04 no directory").is_err());
    let mut eocd = b"PK\x05\x06".to_vec();
    eocd.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0, 46, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(zip_entries(&eocd).is_err(), "directory points at garbage");
    let mut zip64 = b"PK\x05\x06".to_vec();
    zip64.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0]);
    assert!(zip_entries(&zip64).unwrap_err().to_string().contains("ZIP64"));
    let mut rng = crate::detect::testgen::Rng::from_state(0x1234_5678_9abc_def1);
    for _ in 0..2000 {
        let mut b = eocd.clone();
        for byte in &mut b[4..] {
            *byte = rng.next_u64() as u8;
        }
        let _ = zip_entries(&b);
    }
}
