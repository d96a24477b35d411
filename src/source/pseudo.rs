//! Files on kernel pseudo filesystems (`/proc`, `/sys`, debugfs, tracefs, ...): regular
//! files by type, but some never end (`/proc/self/pagemap`'s gigabytes, a trace pipe that
//! blocks). They are read without blocking and at most [`PSEUDO_MAX`] bytes each.
//!
//! Takes an open file; gives whether it lives on such a filesystem.

use std::fs::File;
use std::os::fd::AsRawFd;

/// Bytes read from one pseudo-file at most; what is past it is a counted warning.
pub(crate) const PSEUDO_MAX: u64 = 1 << 20;

const PSEUDO_MAGICS: [i64; 9] = [
    0x9fa0,      // proc
    0x6265_6572, // sysfs
    0x6462_6720, // debugfs
    0x7472_6163, // tracefs
    0x7363_6673, // securityfs
    0x0027_e0eb, // cgroup
    0x6367_7270, // cgroup2
    0xcafe_4a11, // bpf
    0x6e73_6673, // nsfs
];

/// Is `f` on a kernel pseudo filesystem?
#[allow(unsafe_code)] // the two unsafe blocks below; its SAFETY notes say why it is sound
pub(crate) fn is_pseudo(f: &File) -> bool {
    // SAFETY: fstatfs writes into the zeroed struct we own; the descriptor is open.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above: `st` is ours to write, `f` is open.
    if unsafe { libc::fstatfs(f.as_raw_fd(), &mut st) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)] // f_type's width differs between targets
    let magic = st.f_type as i64;
    PSEUDO_MAGICS.contains(&magic)
}

/// Make reads on `f` return instead of blocking (a pipe-like pseudo-file with no data).
#[allow(unsafe_code)] // the one unsafe block below; its SAFETY note says why it is sound
pub(crate) fn set_nonblocking(f: &File) {
    // SAFETY: fcntl on a descriptor we own, only adding O_NONBLOCK to its status flags.
    unsafe {
        let flags = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(f.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn proc_is_pseudo_and_a_temp_file_is_not() {
        let proc = std::fs::File::open("/proc/self/status").unwrap();
        assert!(super::is_pseudo(&proc));
        let tmp = tempfile::tempfile().unwrap();
        assert!(!super::is_pseudo(&tmp));
    }
}
