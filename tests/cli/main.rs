//! The integration-test binary: runs the real `loftyscan` executable on `fixtures/` and on
//! trees and git repositories built in temporary directories.

// A test binary has no API: its helpers are `pub` for the sibling test modules.
#![allow(unreachable_pub)]

mod bad_input;
mod bare_config;
mod ci_action;
mod ci_templates;
mod common;
mod docs;
mod encoded;
mod exposure;
mod fixtures;
mod git;
mod git_engines;
mod gitrepo;
mod habits;
mod history_limits;
mod hooks;
mod hostile;
mod hostile_agree;
mod hostile_shapes;
mod hostile_walk;
mod html;
mod jobs;
mod nested;
mod output;
mod pack_scale;
mod packwriter;
mod prereceive;
mod readme;
mod release;
mod report_snapshots;
mod revoke;
mod secrets;
mod shapes;
mod team;
mod tls_vendor;
mod trust;
mod trust_io;
mod vendor_server;
mod verify;
mod verify_formats;
mod walk;
