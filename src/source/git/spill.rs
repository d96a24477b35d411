//! Ordered commits set aside in a temporary file while the tree pass runs, so the commit
//! nodes (72 bytes a commit) and the pack store and tree graph (tens of bytes an object
//! each) are not all in memory at once; and the temporary files such spills go to
//! ([`temp_file`]).
//!
//! Takes the ordered [`Node`]s; gives them back, in the same order, from a temporary file
//! no path names ([`temp_file`]), so nothing else can open it and nothing is left behind.
//! If the file cannot be written the nodes simply stay in memory (a trace line says so); a
//! file that cannot be read back is an error.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use anyhow::{Context, Result};
use git2::Oid;

use super::order::Node;
use crate::progress::trace;

/// The nodes, in memory or in a file.
pub(crate) enum Spilled {
    Memory(Vec<Node>),
    File { file: File, count: usize },
}

/// Below this many commits the nodes stay in memory (a file saves nothing).
const MIN_SPILL: usize = 10_000;

impl Spilled {
    /// Set `nodes` aside (in a file if there are many).
    pub(crate) fn new(nodes: Vec<Node>) -> Spilled {
        if nodes.len() < MIN_SPILL {
            return Spilled::Memory(nodes);
        }
        match write(&nodes) {
            Ok(file) => Spilled::File { file, count: nodes.len() },
            Err(e) => {
                trace(&format!("commits kept in memory: {e:#}"));
                Spilled::Memory(nodes)
            }
        }
    }

    /// The nodes, as they were given.
    pub(crate) fn restore(self) -> Result<Vec<Node>> {
        let (file, count) = match self {
            Spilled::Memory(nodes) => return Ok(nodes),
            Spilled::File { file, count } => (file, count),
        };
        read(file, count).context("cannot read back the commits set aside in a temporary file")
    }
}

/// A new file in the temporary directory that no path names: on Linux an `O_TMPFILE`
/// (mode 0600); elsewhere, or where the file system has none, one created with
/// `create_new` (never through a link, mode 0600 on Unix) and unlinked at once. The
/// handle is the only way to it, and nothing is left behind.
pub(crate) fn temp_file(what: &str) -> Result<File> {
    let dir = std::env::temp_dir();
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let unnamed =
            OpenOptions::new().read(true).write(true).custom_flags(libc::O_TMPFILE).mode(0o600).open(&dir);
        if let Ok(file) = unnamed {
            return Ok(file);
        }
    }
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let path = dir.join(format!("loftyscan-{}-{nanos}.{what}", std::process::id()));
    let mut open = OpenOptions::new();
    open.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let file = open.open(&path).with_context(|| format!("cannot create '{}'", path.display()))?;
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

fn write(nodes: &[Node]) -> Result<File> {
    let mut file = temp_file("commits")?;
    let mut out = BufWriter::with_capacity(1 << 20, &mut file);
    for n in nodes {
        out.write_all(n.oid.as_bytes())?;
        out.write_all(n.tree.as_bytes())?;
        out.write_all(&n.time.to_le_bytes())?;
        out.write_all(&(n.parents.len() as u32).to_le_bytes())?;
        for p in n.parents.iter() {
            out.write_all(p.as_bytes())?;
        }
    }
    out.flush()?;
    drop(out);
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

fn read(file: File, count: usize) -> Result<Vec<Node>> {
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut nodes = Vec::with_capacity(count);
    let id = |input: &mut BufReader<File>| -> Result<Oid> {
        let mut b = [0u8; 20];
        input.read_exact(&mut b)?;
        Ok(Oid::from_bytes(&b)?)
    };
    for _ in 0..count {
        let (oid, tree) = (id(&mut input)?, id(&mut input)?);
        let mut word = [0u8; 12];
        input.read_exact(&mut word)?;
        let time = i64::from_le_bytes(word[..8].try_into().expect("8 bytes"));
        // Our own file: its length bounds what is read (an octopus may have millions).
        let n = u32::from_le_bytes(word[8..].try_into().expect("4 bytes"));
        let parents = (0..n).map(|_| id(&mut input)).collect::<Result<_>>()?;
        nodes.push(Node { oid, tree, time, parents });
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_come_back_as_they_went() {
        let id = |k: u32| Oid::from_bytes(&[&k.to_le_bytes()[..], &[9; 16]].concat()).unwrap();
        let node = |k: u32, parents: Vec<Oid>| Node {
            oid: id(k),
            tree: id(k + 1_000_000),
            time: -(k as i64),
            parents: parents.into_iter().collect(),
        };
        let nodes: Vec<Node> = (0..MIN_SPILL as u32 + 3)
            .map(|k| match k % 3 {
                0 => node(k, vec![]),
                1 => node(k, vec![id(k - 1)]),
                _ => node(k, vec![id(k - 1), id(k - 2), id(7)]),
            })
            .collect();
        let want: Vec<_> = nodes.iter().map(|n| (n.oid, n.tree, n.time, n.parents.to_vec())).collect();
        let spilled = Spilled::new(nodes);
        assert!(matches!(spilled, Spilled::File { .. }), "many commits go to a file");
        let got: Vec<_> =
            spilled.restore().unwrap().iter().map(|n| (n.oid, n.tree, n.time, n.parents.to_vec())).collect();
        assert_eq!(got, want);
        assert!(matches!(Spilled::new(Vec::new()), Spilled::Memory(_)));
    }
}
