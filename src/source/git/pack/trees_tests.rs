//! Tests of the tree graph (`trees.rs`): the tree format parser as the graph reads it, and
//! blobs placed at their first commit through marked trees only.

use super::*;

#[test]
fn parses_tree_entries_and_rejects_truncated_ones() {
    let id = [7u8; 20];
    let mut data = b"100644 a.txt\0".to_vec();
    data.extend_from_slice(&id);
    data.extend_from_slice(b"40000 dir\0");
    data.extend_from_slice(&id);
    let mut got = Vec::new();
    parse_tree(&data, &mut |m, n, _| got.push((m, n.to_vec()))).unwrap();
    assert_eq!(got, [(0o100644, b"a.txt".to_vec()), (DIR, b"dir".to_vec())]);
    assert!(parse_tree(&data[..data.len() - 1], &mut |_, _, _| {}).is_none());
    for bad in ["10x644", "1040000", "", "-40000", "9"] {
        let entry = format!("{bad} a\0aaaaaaaaaaaaaaaaaaaa");
        assert!(parse_tree(entry.as_bytes(), &mut |_, _, _| {}).is_none(), "{bad}");
    }
    let mut modes = Vec::new();
    parse_tree(b"040000 a\0aaaaaaaaaaaaaaaaaaaa+40000 b\0aaaaaaaaaaaaaaaaaaaa", &mut |m, _, _| modes.push(m))
        .unwrap();
    assert_eq!(modes, [DIR, DIR], "as libgit2 reads them");
}

#[test]
fn places_blobs_at_their_first_commit_through_marked_trees_only() {
    let (blob, other) = (Oid::from_bytes(&[1; 20]).unwrap(), Oid::from_bytes(&[2; 20]).unwrap());
    let (t_sub, t_root1, t_root2) = (
        Oid::from_bytes(&[3; 20]).unwrap(),
        Oid::from_bytes(&[4; 20]).unwrap(),
        Oid::from_bytes(&[5; 20]).unwrap(),
    );
    let mut g = Graph::default();
    g.add(t_sub, &[(b"k.env", blob, false)], 1);
    g.add(t_root1, &[(b"README", other, false)], 1);
    g.add(t_root2, &[(b"cfg", t_sub, true), (b"again", t_sub, true)], 2);
    let mut paths = Paths::new();
    let (first, capped) = g.place(&g.marks(), &[t_root1, t_root2, t_root2], &mut paths);
    assert!(capped.is_empty());
    let mut got: Vec<_> = first.iter().map(|(&(b, p), &o)| (b, paths.path(p), o)).collect();
    got.sort();
    assert_eq!(
        got,
        [
            (blob, b"again/k.env".to_vec(), 1),
            (blob, b"cfg/k.env".to_vec(), 1),
            (other, b"README".to_vec(), 0)
        ]
    );
}
