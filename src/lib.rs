//! loftyscan as a library: the stages the binary (`src/main.rs`) wires together. Public
//! only what the binary (`cli`, `config`, `docs`, `guard`, `pipeline`, `finding`) and the
//! fuzz targets in `fuzz/` (`detect`, `source::git`) use; the rest is `pub(crate)`. Not a
//! stable API.

pub(crate) mod baseline;
mod baseline_schema;
pub mod cli;
pub mod config;
pub mod detect;
pub mod docs;
pub mod finding;
pub mod guard;
pub(crate) mod output;
pub mod pipeline;
pub(crate) mod prereceive;
pub(crate) mod progress;
pub(crate) mod report;
pub(crate) mod revoke;
pub(crate) mod safe;
pub mod source;
pub(crate) mod suppress;
pub(crate) mod trust_notes;
pub(crate) mod verify;
pub mod vocab;
