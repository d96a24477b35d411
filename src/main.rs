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
    if let cli::Command::Version = cli.command {
        println!("loftyscan {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if cli.common.verbose {
        // SAFETY: still single-threaded; nothing has read the environment concurrently.
        unsafe { std::env::set_var("LOFTYSCAN_TRACE", "1") };
    }
    let found = cli.common.exit_code;
    match config::resolve(cli).and_then(pipeline::run) {
        Ok(pipeline::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(pipeline::Outcome::Found) => ExitCode::from(found),
        Err(e) => {
            eprintln!("loftyscan: error: {}", loftyscan::finding::escape_controls(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
