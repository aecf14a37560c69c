//! What a command produced, and how it is shown: a readable summary or one JSON document on
//! stdout; progress and diagnostics on stderr.

use std::io::{IsTerminal, Write};

use crate::cli::OutputFormat;

/// The result of a command: the JSON document and the text summary.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) json: serde_json::Value,
    pub(crate) text: String,
    /// Printed after the report: the command ran but its answer is a failure (exit code).
    pub(crate) failure: Option<crate::exit::CliError>,
}

impl Report {
    pub(crate) fn new(json: serde_json::Value, text: impl Into<String>) -> Self {
        Report {
            json,
            text: text.into(),
            failure: None,
        }
    }
}

/// How this run shows things.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ui {
    pub(crate) format: OutputFormat,
    progress: bool,
}

impl Ui {
    /// `format` as asked, else text on a terminal and JSON otherwise; progress lines only when
    /// stderr is a terminal and not `quiet`.
    pub(crate) fn new(format: Option<OutputFormat>, quiet: bool) -> Self {
        let format = format.unwrap_or(if std::io::stdout().is_terminal() {
            OutputFormat::Text
        } else {
            OutputFormat::Json
        });
        Ui {
            format,
            progress: !quiet && std::io::stderr().is_terminal(),
        }
    }

    pub(crate) fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// A progress line on stderr (terminal only).
    pub(crate) fn step(&self, message: impl AsRef<str>) {
        if self.progress {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "• {}", message.as_ref());
        }
    }

    /// Writes the report to stdout.
    pub(crate) fn print(&self, report: &Report) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        match self.format {
            OutputFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &report.json)?;
                writeln!(out)?;
            }
            OutputFormat::Text => {
                out.write_all(report.text.as_bytes())?;
                if !report.text.is_empty() && !report.text.ends_with('\n') {
                    writeln!(out)?;
                }
            }
        }
        out.flush()
    }
}
