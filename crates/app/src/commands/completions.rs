//! `mbx completions`: a shell completion script, generated from the clap
//! definitions, so every command and flag (new ones included) completes.

use clap_complete::Shell;

use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::printer::{Printer, written};

/// Print the shell completion script for bash, zsh, fish, PowerShell or elvish.
///
/// The script completes subcommands, flags, the values of flags that take
/// one of a fixed set (`--format`, `--fail-with`) and file names where a
/// flag takes a file. It is generated from this version's own flags: make
/// it again after an upgrade. Stream names, symbols and assets are not
/// completed (that would ask the network on every Tab).
///
/// To install it for good:
///
///   bash        add `source <(mbx completions bash)` to ~/.bashrc, or save
///               the script as ~/.local/share/bash-completion/completions/mbx
///   zsh         save it as `_mbx` in a folder of `$fpath`, e.g.
///               `mbx completions zsh > ~/.zfunc/_mbx` with
///               `fpath+=~/.zfunc` before `compinit` in ~/.zshrc
///   fish        mbx completions fish > ~/.config/fish/completions/mbx.fish
///   PowerShell  mbx completions powershell >> $PROFILE
///
/// Examples:
///
///   source <(mbx completions bash)
///
///   mbx completions zsh > _mbx
///
///   mbx completions fish > mbx.fish
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

/// Prints the script on stdout, nothing else (`--json` changes nothing: the
/// script is the data).
pub fn run(global: &GlobalArgs, args: CompletionsArgs) -> Result<(), CliError> {
    let mut command = crate::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "mbx", &mut script);
    let printer = Printer::new(global.json, global.quiet);
    written(printer.raw(&String::from_utf8_lossy(&script)))
}
