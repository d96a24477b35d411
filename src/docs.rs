//! The commands that describe loftyscan instead of scanning: `version`, `completions SHELL`
//! (a clap_complete script) and `man` (a clap_mangen roff page with every subcommand). They
//! take the parsed command and write to standard output; generated at run time, not in a
//! build script, so a cold build stays short.

use std::io::Write;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, Command};

/// The answer to a describing command, or `None` for a scan (or `rules`).
pub fn answer(command: &Command) -> Option<Result<()>> {
    let mut out = std::io::stdout().lock();
    let done = match command {
        Command::Version => writeln!(out, "loftyscan {}", env!("CARGO_PKG_VERSION")).map_err(Into::into),
        Command::Completions { shell } => completions(*shell, &mut out),
        Command::Man => man(&mut out),
        _ => return None,
    };
    Some(done.and_then(|()| out.flush().map_err(Into::into)).context("cannot write to standard output"))
}

/// The completion script for `shell`, built in memory first (clap_complete panics on a
/// failed write, e.g. a closed pipe).
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "loftyscan", &mut script);
    out.write_all(&script)?;
    Ok(())
}

/// The manual page: loftyscan(1) with each subcommand's usage and options as sections.
pub fn man(out: &mut dyn Write) -> Result<()> {
    let mut page = Vec::new();
    man_page(&mut page)?;
    out.write_all(&page)?;
    Ok(())
}

fn man_page(out: &mut Vec<u8>) -> Result<()> {
    let cmd = Cli::command();
    let page = clap_mangen::Man::new(cmd.clone());
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    page.render_subcommands_section(out)?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        subcommand_section(sub, out)?;
    }
    if let Some(after) = cmd.get_after_help() {
        writeln!(out, ".SH \"EXIT STATUS\"\n{}", roff_line(&after.to_string()).replace('-', "\\-"))?;
    }
    page.render_version_section(out)?;
    Ok(())
}

/// One subcommand as a `.SH "loftyscan NAME"` section: its about text, synopsis and options.
fn subcommand_section(sub: &clap::Command, out: &mut Vec<u8>) -> Result<()> {
    let page = clap_mangen::Man::new(sub.clone().bin_name(format!("loftyscan {}", sub.get_name())));
    let mut body = Vec::new();
    page.render_synopsis_section(&mut body)?;
    page.render_options_section(&mut body)?;
    let body = String::from_utf8(body).context("man page is not UTF-8")?;
    writeln!(out, ".SH \"LOFTYSCAN {}\"", sub.get_name().to_uppercase())?;
    if let Some(about) = sub.get_about() {
        writeln!(out, "{}", roff_line(&about.to_string()))?;
    }
    // Demote the sub-page's own sections to subsections of this one.
    out.write_all(body.replace(".SH ", ".SS ").as_bytes())?;
    Ok(())
}

/// A line of plain text made safe for roff: no leading `.` or `'`, backslashes escaped.
fn roff_line(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\");
    if escaped.starts_with(['.', '\'']) { format!("\\&{escaped}") } else { escaped }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_line_escapes_control_starts() {
        assert_eq!(roff_line(".x \\y"), "\\&.x \\\\y");
        assert_eq!(roff_line("plain"), "plain");
    }

    #[test]
    fn man_has_every_subcommand() {
        let mut v = Vec::new();
        man(&mut v).unwrap();
        let s = String::from_utf8(v).unwrap();
        for sub in Cli::command().get_subcommands().filter(|s| s.get_name() != "help") {
            assert!(
                s.contains(&format!(".SH \"LOFTYSCAN {}\"", sub.get_name().to_uppercase())),
                "{}",
                sub.get_name()
            );
        }
    }
}
