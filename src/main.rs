//! The `amlscreen` binary: parses the command line and hands over to the library.

mod cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match cli::dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            cli::EXIT_ERROR
        }
    };
    std::process::exit(code);
}
