//! loftyscan as a library: the stages the binary (`src/main.rs`) wires together, exposed
//! for the fuzz targets in `fuzz/`. Not a stable API.

pub mod baseline;
mod baseline_schema;
pub mod cli;
pub mod config;
pub mod detect;
pub mod docs;
pub mod finding;
pub mod guard;
pub mod output;
pub mod pipeline;
pub mod prereceive;
pub mod progress;
pub mod report;
pub mod revoke;
pub mod safe;
pub mod source;
pub mod suppress;
pub mod trust_notes;
pub mod verify;
pub mod vocab;
