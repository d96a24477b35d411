//! The integration-test binary: runs the real `loftyscan` executable on `fixtures/` and on
//! trees and git repositories built in temporary directories.

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
mod html;
mod jobs;
mod nested;
mod output;
mod packwriter;
mod prereceive;
mod readme;
mod release;
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
