//! loftyscan: parse the command line, run the pipeline, map the outcome to an exit status
//! (0 no live key, 1 a finding at the --fail-on level, 2 error).

use std::process::ExitCode;

use clap::Parser;
use loftyscan::{cli, config, pipeline};

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match config::resolve(cli).and_then(pipeline::run) {
        Ok(pipeline::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(pipeline::Outcome::Found) => ExitCode::from(1),
        Err(e) => {
            eprintln!("loftyscan: error: {}", loftyscan::finding::escape_controls(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
