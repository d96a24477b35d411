//! loftyscan: parse the command line, run the pipeline, map the outcome to an exit status
//! (0 no live key, 1 a finding at the --fail-on level, 2 error).

use std::process::ExitCode;

use clap::Parser;
use loftyscan::{cli, config, guard, pipeline};

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
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("LOFTYSCAN_TRACE", "1")
        };
    }
    let found = cli.common.exit_code;
    guard::install();
    let outcome = guard::isolate(|| config::resolve(cli).and_then(pipeline::run));
    let internal = guard::internal_errors();
    if internal > 0 {
        // A panic is a bug met on some input: the scan may be incomplete, so never 0 or 1.
        guard::eprint_line(&format!(
            "loftyscan: error: {internal} internal error(s); the scan may be incomplete (exit 2)"
        ));
        return ExitCode::from(2);
    }
    match outcome {
        Some(Ok(pipeline::Outcome::Clean)) => ExitCode::SUCCESS,
        Some(Ok(pipeline::Outcome::Found)) => ExitCode::from(found),
        Some(Err(e)) => {
            guard::eprint_line(&format!(
                "loftyscan: error: {}",
                loftyscan::finding::escape_controls(&format!("{e:#}"))
            ));
            ExitCode::from(2)
        }
        None => ExitCode::from(2),
    }
}
