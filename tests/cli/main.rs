//! The integration-test binary: runs the real `loftyscan` executable on `fixtures/` and on
//! trees and git repositories built in temporary directories.

mod bad_input;
mod ci_templates;
mod common;
mod encoded;
mod exposure;
mod fixtures;
mod git;
mod git_engines;
mod gitrepo;
mod html;
mod output;
mod revoke;
mod secrets;
mod team;
mod walk;
